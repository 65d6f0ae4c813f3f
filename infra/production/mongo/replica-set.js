// Initiates the hub's 3-member replica set and creates the store's users; run again, it changes nothing but each
// user's password, set again to its file's. Run by the mongo-init service in mongo-1's network: on localhost for
// the first initiation and whenever mongo-1 is the primary (the members run with --auth and a keyFile, and until
// the first user exists mongod takes rs.initiate and that user from localhost only: the localhost exception), else
// on the primary over the replica set's URL, where only hub-admin's password lets it in. The passwords are Docker
// secrets (secrets/mongo/<user>.password).
const fs = require('fs');

// HUB_MONGO_DB's default: the services' users may read and write this database only. Change both together.
const DB = 'seizurehub';

/** The first line of a Docker secret: letters, digits, '-' and '_' only, so that it goes into a URL as it is. */
function password(user) {
  const file = `/run/secrets/mongo-password-${user}`;
  const value = (fs.readFileSync(file, 'utf8').split(/\r?\n/)[0] || '').trim();
  if (!/^[A-Za-z0-9_-]{16,}$/.test(value))
    throw new Error(
      `${file} (secrets/mongo/${user}.password): the first line must be 16 or more letters, digits, '-' or '_' ` +
        '(it goes into the URL unencoded): make one with `openssl rand -hex 24`',
    );
  return value;
}

if (!db.hello().setName) {
  rs.initiate({
    _id: 'hub-rs',
    members: [
      { _id: 0, host: 'mongo-1:27017', priority: 2 },
      { _id: 1, host: 'mongo-2:27017', priority: 1 },
      { _id: 2, host: 'mongo-3:27017', priority: 1 },
    ],
  });
}

// Users are written on the primary: mongo-1 becomes it (the highest priority) soon after an election.
for (let waited = 0; !db.hello().isWritablePrimary; waited += 1) {
  if (waited >= 120) throw new Error('mongo-1 did not become the primary within 2 minutes: see rs.status()');
  sleep(1000);
}

const admin = db.getSiblingDB('admin');
const adminPassword = password('hub-admin');
let signedIn = false;
try {
  signedIn = Boolean(admin.auth('hub-admin', adminPassword).ok);
} catch (e) {
  // No such user yet (or another password): the localhost exception lets the first user be created, once.
}
if (!signedIn) {
  try {
    admin.createUser({ user: 'hub-admin', pwd: adminPassword, roles: ['root'] });
  } catch (e) {
    throw new Error(
      `hub-admin cannot sign in with secrets/mongo/hub-admin.password, and no user can be created without it (${e.message}): ` +
        "if users exist, put back the password it had, or change it in the store first (db.getSiblingDB('admin').changeUserPassword('hub-admin', '<new>'), signed in with the old one); " +
        'if none exists yet, the first is created on mongo-1 over localhost only: run mongo-init again once mongo-1 is the primary',
    );
  }
  admin.auth('hub-admin', adminPassword);
  print('created hub-admin');
}

/** Creates the user with these roles and its file's password, or sets both again when it exists. */
function setUser(user, roles) {
  const spec = { pwd: password(user), roles };
  if (admin.getUser(user)) admin.updateUser(user, spec);
  else {
    admin.createUser({ user, ...spec });
    print(`created ${user}`);
  }
}

// One user per service that uses the store; a national node has none (it reaches the hub through Kafka only).
for (const user of ['coordinator', 'query-api']) setUser(user, [{ role: 'readWrite', db: DB }]);
// Prometheus's MongoDB exporters (mongo-exporter-<n>): server and replica-set status, the oplog's size; no data.
setUser('monitoring', [
  { role: 'clusterMonitor', db: 'admin' },
  { role: 'read', db: 'local' },
]);
print(
  'replica set hub-rs ready; users hub-admin, coordinator, query-api and monitoring set from their password files',
);
