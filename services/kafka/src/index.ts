export * from './topics';
export * from './client';
export * from './admin';
export * from './append-time';
export * from './acls';
export type {
  Kafka,
  Producer,
  Consumer,
  Admin,
  EachBatchPayload,
  KafkaMessage,
  Message,
  ITopicConfig,
} from 'kafkajs';
export { CompressionTypes } from 'kafkajs';
export * from './tail';
export * from './send';
