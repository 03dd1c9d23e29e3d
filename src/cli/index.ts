/** The `benchops` binary: one subcommand per file in this folder. */
import { Command } from 'commander';
import { registerServe } from './serve.ts';
import { registerDb } from './db.ts';
import { registerBench } from './bench.ts';
import { registerSim } from './sim.ts';
import { registerJob } from './job.ts';

const program = new Command()
  .name('benchops')
  .description(
    'BenchOps: benchmark LLMs served by vLLM. Keeps benchmark configs in Git, runs performance and quality ' +
      'benchmarks on Kubernetes or on this machine, stores and compares results, simulates runs.',
  )
  .version('0.1.0')
  .showHelpAfterError();

registerServe(program);
registerDb(program);
registerBench(program);
registerSim(program);
registerJob(program);

await program.parseAsync(process.argv);
