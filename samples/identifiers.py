# Repeated identifiers: after the first use of each name, the induction heads predict the rest.
def moving_average(values, window_size):
    total_sum = 0
    result_values = []
    for index, value in enumerate(values):
        total_sum += value
        if index >= window_size:
            total_sum -= values[index - window_size]
        result_values.append(total_sum / min(index + 1, window_size))
    return result_values


def moving_average_of_squares(values, window_size):
    squared_values = [value * value for value in values]
    return moving_average(squared_values, window_size)
