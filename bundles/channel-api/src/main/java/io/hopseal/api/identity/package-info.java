/**
 * Identifiers, identities and trust policies.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.hopseal.api.identity;
