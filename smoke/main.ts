import { runSmoke } from './cli';

// `npm run smoke -- ...`: see smoke/cli.ts and README "Check it".
runSmoke(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `The smoke test could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
