/** The simulator as a library: emulated vLLM server, catalogues, performance model, virtual-time prediction, calibration. */
export { startEmulatedServer, renderChat } from './server.ts';
export { spawnEmulator } from './child.ts';
export type { EmulatorProcess } from './child.ts';
export type { EmulatedServer, EmulatedServerOptions, FixedProfile, RequestRecord } from './server.ts';
export {
  MODEL_CATALOGUE,
  HARDWARE_CATALOGUE,
  findModel,
  findHardware,
  hardwareForResource,
  weightBytes,
  kvBytesPerToken,
} from './catalog.ts';
export type { ModelSpec, HardwareSpec, MigInfo, MoeSpec, EmbeddingSpec } from './catalog.ts';
export { estimateModel, paramsFromName, moeSizesFromName, isEmbeddingName } from './estimate.ts';
export { activeParams, computeParams, expectedExpertsTouched, weightBytesRead, modelKind } from './moe.ts';
export type { ModelKind } from './moe.ts';
export { describeModel, modelSummary } from './describe.ts';
export type { ModelSummary } from './describe.ts';
export { PerformanceModel, resolveDeployment, GPU_FACTORS, CPU_FACTORS } from './perf-model.ts';
export type { EfficiencyFactors, DeploymentOptions, DeploymentSpec, StepSeq } from './perf-model.ts';
export { buildEngine } from './engine.ts';
export type { EngineOptions, EngineSetup } from './engine.ts';
export { Scheduler, newRequest, newPoolingRequest } from './scheduler.ts';
export type { SchedulerConfig, SimRequest } from './scheduler.ts';
export { predict } from './predict.ts';
export type { PredictOptions, Workload } from './predict.ts';
export { calibrate, workloadFromRun } from './calibrate.ts';
export type { CalibrationResult, MeasuredRun } from './calibrate.ts';
export { QUANTIZATION_METHODS, KV_CACHE_DTYPES, formatFromName, resolveQuantization } from './quantization.ts';
export type { WeightFormat, QuantizationSpec } from './quantization.ts';
export { ENGINE_PRESETS, presetFor } from './presets.ts';
export type { EnginePreset } from './presets.ts';
export { memoryBreakdown, deviceMemoryBytes } from './memory.ts';
export type { MemoryBreakdown } from './memory.ts';
export { engineFieldsSchema, engineOptionsFromFields } from './engine-fields.ts';
export type { EngineFields } from './engine-fields.ts';
