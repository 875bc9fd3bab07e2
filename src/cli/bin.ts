// The CLI's entry point (dist/cli.js): runs main when started as a program. Kept apart from
// main.ts so that tests and scripts can import main without running it.
import { main } from './main';

export { main };

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
