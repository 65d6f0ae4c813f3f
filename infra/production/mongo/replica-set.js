// Initiates the hub's 3-member replica set once; a no-op when it already exists.
try {
  rs.status();
} catch (e) {
  rs.initiate({
    _id: 'hub-rs',
    members: [
      { _id: 0, host: 'mongo-1:27017', priority: 2 },
      { _id: 1, host: 'mongo-2:27017', priority: 1 },
      { _id: 2, host: 'mongo-3:27017', priority: 1 },
    ],
  });
}
