import type { Command } from 'commander';
import type { CommandExtension } from '../src/cli/main.ts';
import { KbError } from '../src/errors.ts';

/** CLI commands that need the adapters: `kb serve` and `kb discord register`. */
export const adapterCommands: CommandExtension = (program: Command, io) => {
  program
    .command('serve')
    .description('Run the Slack and/or Discord bots that are configured, with /healthz')
    .action(async () => {
      // Imported when the command runs, so the rest of the CLI never loads Bolt or discord.js.
      const { serve, SHUTDOWN_GRACE_MS } = await import('./serve.ts');
      const server = await serve();
      io.out(`kb serve: running (health on :${server.port()}/healthz); Ctrl-C to stop`);
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      // Backstop: nothing (a model request, a socket, a timer) may keep the process alive past
      // the shutdown window, even if stop() itself were stuck.
      setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS + 1000).unref();
      await server.stop(signal);
      // stop() has finished what matters (answers posted, pools closed); whatever is still
      // open would only keep a stopped bot running.
      process.exit(0);
    });

  program
    .command('admin')
    .description('Serve the admin page (/admin: coverage gaps, 👎, sources, rates, latency) and /metrics on PORT; needs ADMIN_TOKEN')
    .action(async () => {
      // Imported when the command runs, like serve, so other commands never load it.
      const { startAdminServer } = await import('./admin/server.ts');
      const server = await startAdminServer();
      io.out(`kb admin: http://127.0.0.1:${server.port()}/admin (log in with ADMIN_TOKEN); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const onSignal = () => void server.stop().then(resolve);
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });

  const discord = program.command('discord').description('Discord helpers');
  discord
    .command('register')
    .description('Register the /ask slash command (globally, or in one guild for instant updates)')
    .option('--guild <id>', 'register in this guild only')
    .action(async (o: { guild?: string }) => {
      const config = (await import('../src/config.ts')).loadConfig();
      if (!config.discord) throw new KbError('config/invalid', 'DISCORD_TOKEN is missing: copy the bot token from the Bot page of your application in the Discord developer portal');
      if (o.guild && !/^\d{5,25}$/.test(o.guild)) throw new KbError('input/invalid_argument', '--guild must be a numeric guild id');
      const { inviteUrl, registerCommands } = await import('./discord/commands.ts');
      const r = await registerCommands({ token: config.discord.token, applicationId: config.discord.applicationId, guildId: o.guild, apiUrl: config.discord.apiUrl });
      io.out(`registered ${r.names.map((n) => '/' + n).join(', ')} (${r.scope}) for application ${r.applicationId}`);
      io.out(`invite the bot with: ${inviteUrl(r.applicationId)}`);
    });
};
