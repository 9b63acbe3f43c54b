/** Topics a benchmark made: the local broker keeps every topic it is given, so runs delete theirs. */
import { Kafka, logLevel } from 'kafkajs';

export async function deleteTopic(brokers: string[], topic: string, bench: string): Promise<void> {
  const admin = new Kafka({ clientId: bench, brokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
  } catch (err) {
    process.stderr.write(`${bench}: could not delete topic ${topic}: ${(err as Error).message}\n`);
  } finally {
    await admin.disconnect();
  }
}
