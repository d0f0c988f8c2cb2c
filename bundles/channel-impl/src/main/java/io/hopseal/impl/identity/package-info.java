/**
 * This node's identity (vault-held keys, rotation with a signed history) and identity proofs.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.impl.identity;
