/**
 * Identifiers, identities and trust policies.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.api.identity;
