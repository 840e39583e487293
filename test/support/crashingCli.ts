/**
 * A `kb` process whose one command crashes: `crashingCli.ts rejection|exception SECRET`
 * leaves a promise rejection unhandled (or throws from a timer) with SECRET, a registered
 * secret, in the error's message and stack. Run as a child process by crashLogging.test.ts.
 */
import { main } from '../../src/cli/main.ts';
import { registerSecrets } from '../../src/logger.ts';

const [kind, secret = ''] = process.argv.slice(2);
process.exitCode = await main(['crash'], undefined, [
  (program) =>
    program.command('crash').action(async () => {
      registerSecrets([secret]);
      if (kind === 'rejection') void Promise.reject(new Error(`the token ${secret} was refused`));
      else
        setTimeout(() => {
          throw new Error(`the token ${secret} was refused`);
        }, 0);
      // Left to itself the command would wait a minute and exit 0.
      await new Promise((resolve) => setTimeout(resolve, 60_000));
    }),
]);
