/**
 * The partner API: everything under /v1, one encapsulated scope. Partner authentication is registered
 * in this scope only (before its routes), so every /v1 request — a path that matches no route
 * included — is verified, admitted, audited and signed, and nothing outside /v1 is. Each route
 * declares the scope it needs (deny by default).
 */
import type { FastifyInstance } from 'fastify';
import { partnerAuth, type AuthRuntime } from '../auth/partner-auth.js';
import type { AppContext } from '../context.js';
import { routeNotFound } from '../http/plugins/problems.js';
import { registerAlertRoutes } from './alerts.js';
import { registerCatalogRoutes } from './catalog.js';
import { registerCheckRoutes } from './checks.js';
import { registerConnectorRoutes } from './connectors.js';
import { registerDeliveryRoutes } from './deliveries.js';
import { registerObjectionRoutes } from './objections.js';
import { registerRecordRoutes } from './records.js';
import { registerRepairRoutes } from './repairs.js';
import { registerReportRoutes } from './reports.js';
import { registerSubjectRoutes } from './subjects.js';
import { registerTemplateRoutes } from './templates.js';
import { registerUploadRoutes } from './uploads.js';

export interface V1Options {
  ctx: AppContext;
  /** null: auth disabled (development) */
  auth: AuthRuntime | null;
}

export async function partnerApi(v1: FastifyInstance, { ctx, auth }: V1Options): Promise<void> {
  if (auth) await v1.register(partnerAuth, { runtime: auth, auth: ctx.config.auth });
  v1.setNotFoundHandler(routeNotFound);
  await registerCatalogRoutes(v1, ctx);
  await registerTemplateRoutes(v1);
  await registerUploadRoutes(v1, ctx);
  await registerRecordRoutes(v1, ctx);
  await registerSubjectRoutes(v1, ctx);
  await registerObjectionRoutes(v1, ctx);
  await registerRepairRoutes(v1, ctx);
  await registerCheckRoutes(v1, ctx);
  await registerConnectorRoutes(v1, ctx);
  await registerReportRoutes(v1, ctx);
  await registerAlertRoutes(v1, ctx);
  await registerDeliveryRoutes(v1, ctx);
}
