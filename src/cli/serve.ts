/** `benchops serve [service...]`: embedded mode (every service + gateway) or the named services (cluster mode). */
import type { Command } from 'commander';
import { DEFAULT_PORTS, loadConfig, type ServiceName } from '../core/config.ts';
import { startPlatform } from '../core/platform.ts';
import { SERVICE_FACTORIES } from '../services/index.ts';

/** The services this build has (seed names without an implementation yet are not offered). */
const AVAILABLE = Object.keys(SERVICE_FACTORIES) as ServiceName[];

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      `Start BenchOps. With no service names: embedded mode, every service on its seed port (${AVAILABLE.map((s) => `${s} ${DEFAULT_PORTS[s]}`).join(', ')}) ` +
        `plus the gateway on ${DEFAULT_PORTS.gateway}, PGlite storage in BENCHOPS_DATA_DIR (or DATABASE_URL). ` +
        'With names: only those services (cluster mode, one per Deployment).',
    )
    .argument('[services...]', 'services to run (default: all, with the gateway)')
    .option('--gateway', 'also start the gateway when services are named')
    .action(async (services: string[], opts: { gateway?: boolean }) => {
      for (const s of services) {
        if (!(AVAILABLE as string[]).includes(s)) {
          console.error(`Unknown service "${s}". Available: ${AVAILABLE.join(', ')}`);
          process.exit(2);
        }
      }
      const config = loadConfig();
      const platform = await startPlatform({
        config,
        services: services.length ? (services as ServiceName[]) : undefined,
        gateway: services.length ? !!opts.gateway : true,
      }).catch((e) => {
        console.error(`benchops serve: ${e.message}`);
        process.exit(1);
      });
      const lines = Object.entries(platform.urls).map(([k, v]) => `  ${k.padEnd(9)} ${v}`);
      console.log(`BenchOps ready (storage: ${platform.ctx.database.kind}, data: ${config.dataDir})\n${lines.join('\n')}`);
      console.log(`BENCHOPS_READY ${JSON.stringify(platform.urls)}`);
      let stopping = false;
      const stop = async (sig: string) => {
        if (stopping) return;
        stopping = true;
        platform.ctx.log.info({ sig }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 15_000);
        force.unref();
        await platform.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
