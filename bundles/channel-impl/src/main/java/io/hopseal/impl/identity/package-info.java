/**
 * This node's identity (vault-held keys, rotation with a signed history) and identity proofs.
 */
package io.hopseal.impl.identity;
