// Batch signatures (docs/protocol.md, "RSA-PSS-SHA256-BATCH"; ADR 006): the signing inputs of many envelopes are
// the leaves of a Merkle tree (RFC 9162's shape, each leaf salted), one RSA-PSS signature covers the root, and each
// envelope carries that signature with its own inclusion proof. Every envelope stays verifiable on its own, offline,
// with the CA certificate alone; the signer pays one private-key operation for the whole batch. X-Road's message
// log signs in batches the same way.
import { hash, randomBytes, type KeyObject } from 'node:crypto';
import { RSA_PSS_SHA256, type SignatureAlgorithm } from './algorithms';

export const BATCH_ALGORITHM_NAME = 'RSA-PSS-SHA256-BATCH';
/** The most leaves one tree may have (a verifier refuses larger trees, so proofs stay short). */
export const MAX_BATCH_LEAVES = 65536;
const FORMAT = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const ROOT_MAGIC = Buffer.from('SXH-BAT\x01', 'latin1');

// One-shot hashing of the parts joined: for an inner node's 65 bytes, half the time of a Hash object fed part by
// part (no object to create); for a leaf, the same.
const sha256 = (...parts: Buffer[]): Buffer => hash('sha256', Buffer.concat(parts), 'buffer');
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export const leafHash = (salt: Buffer, input: Buffer): Buffer => sha256(LEAF, salt, input);
export const nodeHash = (left: Buffer, right: Buffer): Buffer => sha256(NODE, left, right);

/** What the RSA-PSS signature of a batch covers: magic, the number of leaves and the tree's root. */
export function rootSigningInput(treeSize: number, root: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32BE(treeSize);
  return Buffer.concat([ROOT_MAGIC, size, root]);
}

/** The root of the tree over `leaves` and each leaf's inclusion proof (sibling hashes from the leaf up). */
export function merkleTree(leaves: Buffer[]): { root: Buffer; proofs: Buffer[][] } {
  if (leaves.length === 0) throw new Error('a batch needs at least one leaf');
  const proofs: Buffer[][] = leaves.map(() => []);
  // RFC 9162 §2.1.1: the left subtree holds the largest power of two below n leaves.
  const build = (lo: number, hi: number): Buffer => {
    if (hi - lo === 1) return leaves[lo] as Buffer;
    let k = 1;
    while (k * 2 < hi - lo) k *= 2;
    const left = build(lo, lo + k);
    const right = build(lo + k, hi);
    for (let i = lo; i < lo + k; i++) proofs[i]!.push(right);
    for (let i = lo + k; i < hi; i++) proofs[i]!.push(left);
    return nodeHash(left, right);
  };
  return { root: build(0, leaves.length), proofs };
}

/** The root that `proof` leads to from leaf `index` of a tree of `treeSize` leaves, or undefined if it cannot. */
export function rootFromProof(
  index: number,
  treeSize: number,
  leaf: Buffer,
  proof: Buffer[],
): Buffer | undefined {
  // RFC 9162 §2.1.3.2.
  if (index >= treeSize) return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/**
 * The envelope's `signature` field: format 1, the leaf's index, the tree's size, the leaf's salt, the proof, then
 * the RSA-PSS signature of the root (the rest of the bytes).
 */
export function encodeBatchSignature(parts: {
  index: number;
  treeSize: number;
  salt: Buffer;
  proof: Buffer[];
  rootSignature: Buffer;
}): Buffer {
  const head = Buffer.alloc(1 + 4 + 4);
  head.writeUInt8(FORMAT, 0);
  head.writeUInt32BE(parts.index, 1);
  head.writeUInt32BE(parts.treeSize, 5);
  return Buffer.concat([
    head,
    parts.salt,
    Buffer.from([parts.proof.length]),
    ...parts.proof,
    parts.rootSignature,
  ]);
}

export function decodeBatchSignature(
  bytes: Buffer,
): { index: number; treeSize: number; salt: Buffer; proof: Buffer[]; rootSignature: Buffer } | undefined {
  const fixed = 1 + 4 + 4 + SALT_BYTES + 1;
  if (bytes.length < fixed || bytes.readUInt8(0) !== FORMAT) return undefined;
  const index = bytes.readUInt32BE(1);
  const treeSize = bytes.readUInt32BE(5);
  const salt = bytes.subarray(9, 9 + SALT_BYTES);
  const depth = bytes.readUInt8(9 + SALT_BYTES);
  const rootAt = fixed + depth * HASH_BYTES;
  if (
    treeSize < 1 ||
    treeSize > MAX_BATCH_LEAVES ||
    index >= treeSize ||
    depth > 32 ||
    bytes.length <= rootAt
  )
    return undefined;
  const proof = Array.from({ length: depth }, (_, i) =>
    bytes.subarray(fixed + i * HASH_BYTES, fixed + (i + 1) * HASH_BYTES),
  );
  return { index, treeSize, salt, proof, rootSignature: bytes.subarray(rootAt) };
}

/**
 * The batch algorithm. `sign`/`signAsync` sign a batch of one (a valid, if pointless, tree); `signBatch` is what
 * signers use for many inputs at once.
 */
export interface BatchSignatureAlgorithm extends SignatureAlgorithm {
  signBatch(inputs: Buffer[], key: KeyObject): Promise<Buffer[]>;
}

function batchOf(inputs: Buffer[]): { salts: Buffer[]; root: Buffer; proofs: Buffer[][] } {
  const random = randomBytes(SALT_BYTES * inputs.length);
  const salts = inputs.map((_, i) => random.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES));
  const { root, proofs } = merkleTree(inputs.map((input, i) => leafHash(salts[i] as Buffer, input)));
  return { salts, root, proofs };
}

function assemble(
  inputs: Buffer[],
  batch: { salts: Buffer[]; root: Buffer; proofs: Buffer[][] },
  rootSignature: Buffer,
): Buffer[] {
  return inputs.map((_, index) =>
    encodeBatchSignature({
      index,
      treeSize: inputs.length,
      salt: batch.salts[index] as Buffer,
      proof: batch.proofs[index] as Buffer[],
      rootSignature,
    }),
  );
}

export const RSA_PSS_SHA256_BATCH: BatchSignatureAlgorithm = {
  name: BATCH_ALGORITHM_NAME,
  sign(input, key) {
    const batch = batchOf([input]);
    return assemble([input], batch, RSA_PSS_SHA256.sign(rootSigningInput(1, batch.root), key))[0] as Buffer;
  },
  async signAsync(input, key) {
    return (await this.signBatch([input], key))[0] as Buffer;
  },
  async signBatch(inputs, key) {
    if (inputs.length > MAX_BATCH_LEAVES) throw new Error(`a batch holds at most ${MAX_BATCH_LEAVES} leaves`);
    const batch = batchOf(inputs);
    const rootSignature = await RSA_PSS_SHA256.signAsync(rootSigningInput(inputs.length, batch.root), key);
    return assemble(inputs, batch, rootSignature);
  },
  verify(input, key, signature) {
    const parts = decodeBatchSignature(signature);
    if (!parts) return false;
    const root = rootFromProof(parts.index, parts.treeSize, leafHash(parts.salt, input), parts.proof);
    if (root === undefined) return false;
    // The envelopes of a batch arrive together and share their root's signature: it is checked once, not once each.
    const last = lastVerifiedRoot;
    if (
      last &&
      last.key === key &&
      last.treeSize === parts.treeSize &&
      last.root.equals(root) &&
      last.rootSignature.equals(parts.rootSignature)
    )
      return true;
    if (!RSA_PSS_SHA256.verify(rootSigningInput(parts.treeSize, root), key, parts.rootSignature))
      return false;
    lastVerifiedRoot = {
      key,
      treeSize: parts.treeSize,
      root,
      rootSignature: Buffer.from(parts.rootSignature),
    };
    return true;
  },
};

/** The last root whose RSA-PSS signature verified, with the key it verified under. */
let lastVerifiedRoot: { key: KeyObject; treeSize: number; root: Buffer; rootSignature: Buffer } | undefined;
