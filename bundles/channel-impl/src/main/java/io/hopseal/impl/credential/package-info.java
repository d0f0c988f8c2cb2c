/**
 * Credentials, authorities, revocation lists and enrollment: the zero-trust attribute layer on top of identities.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.impl.credential;
