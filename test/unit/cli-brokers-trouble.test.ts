// Unit tier: how a CLI verb says why it could not talk to the brokers. Out of reach (refused, no route, no such host,
// timed out): "unreachable", and to start them. Reached but the connection failed (a certificate, TLS, SASL, a
// connection closed): what failed, from the innermost cause, and not to start brokers that are running.
import { expect } from 'chai';
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { brokerTrouble, unavailable } from '../../scripts/src/cli/brokers';

/** What kafkajs throws from admin.connect() after its retries, around the connection's own error. */
const afterRetries = (err: Error) =>
  new KafkaJSNumberOfRetriesExceeded(err, { retryCount: 4, retryTime: 3000 });

const SASL = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;

describe('CLI: why the brokers could not be talked to', () => {
  it('says what failed on a connection that reached them (a certificate), not that they are unreachable', () => {
    const said = brokerTrouble(
      ['h:1'],
      new KafkaJSConnectionError('Connection error: self-signed certificate'),
    );
    expect(said).to.include('self-signed certificate');
    expect(said).to.not.include('unreachable');
    expect(said).to.not.include('hub stack up');
  });

  it('gives the innermost cause through kafkajs’ retries, and no advice to start the brokers', () => {
    for (const [inner, words] of [
      [new KafkaJSConnectionError('Connection error: self-signed certificate'), 'self-signed certificate'],
      [
        new KafkaJSConnectionError(
          'Connection error: Client network socket disconnected before secure TLS connection was established',
          {
            code: 'ECONNRESET',
          },
        ),
        'secure TLS connection',
      ],
      [new SASL('SASL SCRAM SHA512 authentication failed: Authentication failed'), 'authentication failed'],
      [new KafkaJSConnectionError('Connection closed by the server'), 'Connection closed by the server'],
    ] as const) {
      const refused = unavailable('replay', ['k1:9093', 'k2:9093'], afterRetries(inner));
      expect(refused.code).to.equal('BROKER_UNAVAILABLE');
      expect(refused.message, words).to.include(`brokers k1:9093,k2:9093: ${inner.message}`);
      expect(refused.message, words).to.include(words);
      expect(refused.message, words).to.not.include('unreachable');
      expect(refused.message, words).to.not.include('hub stack up');
      expect(refused.message, words).to.include('HUB_KAFKA_SECURITY');
    }
  });

  it('says brokers refused, without a route, not found or timed out are unreachable, and to start them', () => {
    for (const inner of [
      new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', {
        code: 'ECONNREFUSED',
      }),
      new KafkaJSConnectionError('Connection error: connect EHOSTUNREACH 10.0.0.9:9092', {
        code: 'EHOSTUNREACH',
      }),
      new KafkaJSConnectionError('Connection error: getaddrinfo ENOTFOUND kafka-9', { code: 'ENOTFOUND' }),
      new KafkaJSConnectionError('Connection error: getaddrinfo EAI_AGAIN kafka-9', { code: 'EAI_AGAIN' }),
      new KafkaJSConnectionError('Connection timeout'),
    ]) {
      const refused = unavailable('replay', ['h:1'], afterRetries(inner));
      expect(refused.message, inner.message).to.equal(
        "hub replay did nothing: brokers h:1 unreachable; start them ('hub stack up') or point HUB_KAFKA_BROKERS at running ones, then run it again",
      );
    }
  });
});
