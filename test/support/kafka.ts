/** Local KRaft Kafka broker for tests (see scripts/kafka.sh). */
export {
  startLocalBroker,
  stopLocalBroker,
  isLocalBrokerRunning,
  LocalBrokerError,
} from '../../src/dev/local-broker.js';
export type { LocalBrokerOptions } from '../../src/dev/local-broker.js';
