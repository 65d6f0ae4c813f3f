// Checks for the tools that provisioning needs, with an error that says what to install.
import { HubError } from '@hub/errors';
import { commandVersion } from './proc';

const INSTALL = {
  java: 'a JDK 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)',
  mvn: 'Apache Maven (Debian/Ubuntu: apt-get install maven)',
  go: 'Go 1.22 or newer (https://go.dev/dl or apt-get install golang)',
};

export function requireTool(tool: keyof typeof INSTALL, why: string): string {
  const args = tool === 'go' ? ['version'] : ['-version'];
  const version =
    commandVersion(tool, args) ?? (tool === 'mvn' ? commandVersion('mvn', ['--version']) : undefined);
  if (!version) {
    throw new HubError(
      'PREREQUISITE_MISSING',
      `'${tool}' was not found on PATH; it is needed ${why}. Install ${INSTALL[tool]}, ` +
        `or point the hub at existing servers with HUB_KAFKA_BROKERS / HUB_MONGO_URL.`,
    );
  }
  if (tool === 'java') {
    const m = /version "(\d+)/.exec(version);
    if (m && Number(m[1]) < 17) {
      throw new HubError(
        'PREREQUISITE_MISSING',
        `Kafka 4 needs Java 17 or newer; found: ${version}. Install ${INSTALL.java}.`,
      );
    }
  }
  return version;
}
