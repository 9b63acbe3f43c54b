/** Local KRaft Kafka broker for tests (see scripts/kafka.sh). */
export {
  startLocalBroker,
  stopLocalBroker,
  isLocalBrokerRunning,
  LocalBrokerError,
} from '../../src/publish/local-broker.js';
export type { LocalBrokerOptions } from '../../src/publish/local-broker.js';
