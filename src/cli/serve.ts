/**
 * `benchops serve [service...]`: embedded mode (every service + gateway + web UI) or the named services (cluster
 * mode). `web` names the gateway with the UI; services not running in the same process are forwarded to their URLs.
 */
import type { Command } from 'commander';
import { DEFAULT_PORTS, loadConfig, SERVICE_NAMES, type Config, type ServiceName } from '../core/config.ts';
import { configuredUrl } from '../core/service.ts';
import { logFormatFromEnv, logStreamFor } from '../platform/logging.ts';
import { availableServices, startPlatform } from '../platform/start.ts';
import { ensureDemoModel, withDemoDevices } from '../services/vllm/demo-model.ts';

/** The services this build has (seed names without an implementation yet are not offered). */
const AVAILABLE = availableServices();

/** Where each service runs when it is not in this process (cluster mode), from the configuration. */
function remoteUrls(config: Config, local: ServiceName[]): Partial<Record<ServiceName, string>> {
  const urls = Object.fromEntries(SERVICE_NAMES.map((s) => [s, configuredUrl(config, s)]));
  return Object.fromEntries(Object.entries(urls).filter(([k, v]) => v && !local.includes(k as ServiceName))) as Partial<Record<ServiceName, string>>;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      `Start BenchOps. With no service names: embedded mode, every service on its seed port (${AVAILABLE.map((s) => `${s} ${DEFAULT_PORTS[s]}`).join(', ')}) ` +
        `plus the gateway and web UI on ${DEFAULT_PORTS.gateway}, PGlite storage in BENCHOPS_DATA_DIR (or DATABASE_URL). ` +
        'With names: only those services (cluster mode, one per Deployment); `web` is the gateway serving the UI, forwarding ' +
        '/api/<service> to BENCHOPS_<SERVICE>_URL for services not in this process.',
    )
    .argument('[services...]', `services to run (default: all, with the gateway): ${[...AVAILABLE, 'web'].join(', ')}`)
    .option('--gateway', 'also start the gateway (and web UI) when services are named; the same as naming web')
    .action(async (names: string[], opts: { gateway?: boolean }) => {
      for (const s of names) {
        if (s !== 'web' && !(AVAILABLE as string[]).includes(s)) {
          console.error(`Unknown service "${s}". Available: ${[...AVAILABLE, 'web'].join(', ')}`);
          process.exit(2);
        }
      }
      let config: Config;
      let logStream;
      try {
        config = loadConfig();
        logStream = logStreamFor(logFormatFromEnv());
      } catch (e: any) {
        console.error(`benchops serve: ${e.message}`);
        process.exit(2);
      }
      const services = names.filter((s) => s !== 'web') as ServiceName[];
      const embedded = names.length === 0;
      if (embedded) config = withDemoDevices(config);
      const gateway = embedded || names.includes('web') || !!opts.gateway;
      const platform = await startPlatform({
        config,
        services: embedded ? undefined : services,
        gateway,
        remotes: embedded ? undefined : remoteUrls(config, services),
        logStream,
      }).catch((e) => {
        console.error(`benchops serve: ${e.message}`);
        process.exit(1);
      });
      // first start of embedded mode: a demo model on an emulated GPU, so the demo project's jobs run with nothing typed
      // (awaited: it only asks for the deployment, which becomes ready in the background; READY then means it exists)
      if (embedded && config.demo && platform.urls.vllm) {
        await ensureDemoModel(platform.urls.vllm, config, platform.ctx.log).catch((e) => platform.ctx.log.warn({ err: e }, 'demo model not started'));
      }
      const lines = Object.entries(platform.urls).map(([k, v]) => `  ${k.padEnd(9)} ${v}`);
      const ui = platform.urls.gateway ? `\n  web UI    ${platform.urls.gateway}/` : '';
      console.log(`BenchOps ready (storage: ${platform.ctx.database.kind}, data: ${config.dataDir})\n${lines.join('\n')}${ui}`);
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
