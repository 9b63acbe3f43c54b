/** From a registered partner to the request's Principal ("*" grants become null = everything). */
import type { PartnerConfig } from '../config/types.js';
import type { Principal } from '../context.js';

export function principalOf(partner: PartnerConfig, purpose: string | undefined): Principal {
  const principal: Principal = {
    partnerId: partner.id,
    scopes: new Set(partner.scopes),
    sourceSystems: new Set(partner.sourceSystems),
    categories: partner.categories.includes('*') ? null : partner.categories,
    regions: partner.regions.includes('*') ? null : partner.regions,
  };
  if (purpose !== undefined) principal.purpose = purpose;
  return principal;
}
