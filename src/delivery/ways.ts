/** The way of delivery a destination's `delivery.way` names (file, service, database). */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { DeliveryConfig, DestinationConfig } from '../config/load.js';
import { DatabaseWay } from './database-way.js';
import { FileWay } from './file-way.js';
import { ServiceWay } from './service-way.js';
import type { DeliveryWay } from './way.js';

export function createWay(cfg: DeliveryConfig, dest: Pick<DestinationConfig, 'name' | 'categories'>, gateway: { pool: pg.Pool; log: Logger }): DeliveryWay {
  switch (cfg.way) {
    case 'file':
      return new FileWay(cfg);
    case 'service':
      return new ServiceWay(cfg);
    case 'database':
      return new DatabaseWay(cfg, dest, gateway);
  }
}
