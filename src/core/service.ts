/** What a service module is and what it gets: the seam between the platform (ports, db, auth) and each service. */
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Authenticator } from './auth.ts';
import type { Config, ServiceName } from './config.ts';
import type { Database, Db } from './db/client.ts';
import type { App } from './http.ts';
import type { SecretBox } from './secrets.ts';

export interface PlatformContext {
  config: Config;
  database: Database;
  db: Db;
  secrets: SecretBox;
  auth: Authenticator;
  log: Logger;
  logStream?: Writable;
  /** Modules running in this process (embedded mode has all of them); others are reached over HTTP. */
  local: Map<ServiceName, ServiceModule>;
  /** Where this process's services listen, filled once they do (before `start()`): e.g. the results URL for local jobs. */
  urls?: Partial<Record<ServiceName | 'gateway', string>>;
}

export interface ServiceModule {
  name: ServiceName;
  title: string;
  description?: string;
  /** Registers the service's routes (the platform adds /health, /status, /metrics, /docs). */
  routes(app: App): Promise<void>;
  /** In-process interface other services use in embedded mode (the HTTP client implements the same). */
  api?: unknown;
  /** Routes this service adds at the root of the 8080 gateway (not under /api/<service>), e.g. the OpenAI `/v1/*`. */
  gatewayRoutes?(app: App): void | Promise<void>;
  health?(): Promise<Record<string, string>>;
  status?(): Promise<Record<string, unknown>>;
  metrics?(registry: Registry): void;
  /** Background work (polling, schedulers); called after every module is created and listening. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export type ServiceFactory = (ctx: PlatformContext) => ServiceModule | Promise<ServiceModule>;
