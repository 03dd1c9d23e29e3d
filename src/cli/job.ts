/** `benchops job run`: the job image's entrypoint (performance benchmark or task evaluation, results to the Results service). */
import type { Command } from 'commander';

export function registerJob(program: Command): void {
  const job = program.command('job').description('Work done inside benchmark jobs');
  job
    .command('run')
    .description(
      'Run the benchmark described by the mounted config against the model endpoint and post the results.\n\n' +
        'Config: BENCHOPS_CONFIG_PATH, else /app/configs/eval_config.json (under BENCHOPS_MOUNT_ROOT when set), else --config.\n' +
        '  performance: vllm_benchmark.json style {defaults, scenarios, thresholds}; task: {tasks: [...]} or evalchemy.json style.\n' +
        'Endpoint: --endpoint, VLLM_MODEL_ENDPOINT, MODEL_ENDPOINT, VLLM_ENDPOINT (…/v1/completions, …/v1 or a base URL).\n' +
        'Model: --model, SERVED_MODEL_NAME, MODEL_NAME, else the first model of /v1/models.\n' +
        'Defaults for what a scenario and the config\'s "defaults" leave unset: RANDOM_INPUT_LEN, RANDOM_OUTPUT_LEN,\n' +
        '  MAX_CONCURRENCY, NUM_PROMPTS, REQUEST_RATE (the config describes the benchmark; the manifest fills the gaps).\n' +
        'Results: BENCHOPS_RESULTS_URL (or BACKEND_API when it is a URL) with BENCHOPS_TOKEN; without one, JSON files in\n' +
        '  BENCHOPS_OUTPUT_DIR (default: the current folder).\n\n' +
        'Exit codes: 0 success, 1 thresholds failed or the run failed, 2 configuration error (the message names the field).',
    )
    .option('--config <path>', 'config file when none is mounted')
    .option('--endpoint <url>', 'model endpoint (overrides VLLM_MODEL_ENDPOINT)')
    .option('--model <name>', 'served model name')
    .option('--results-url <url>', 'Results service base URL (overrides BENCHOPS_RESULTS_URL)')
    .option('--output-dir <dir>', 'where result files go when there is no Results service')
    .option('--run-id <id>', 'run id for the results (default: BENCHOPS_RUN_ID or a new UUID)')
    .option('--mode <mode>', 'performance or task (default: from the config)')
    .action(async (flags: { config?: string; endpoint?: string; model?: string; resultsUrl?: string; outputDir?: string; runId?: string; mode?: string }) => {
      const { runJob } = await import('../runner/index.ts');
      const result = await runJob({ flags });
      process.exitCode = result.exitCode;
      // Idle keep-alive sockets must not hold the job open once the work is done.
      setTimeout(() => process.exit(result.exitCode), 1000).unref();
    });
}
