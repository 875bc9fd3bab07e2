// Measures how late a 1 ms timer fires on this thread: call it, do the work, call the returned
// function to get the worst delay in milliseconds.
export function lagProbe() {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return () => {
    clearInterval(t);
    return worst;
  };
}
