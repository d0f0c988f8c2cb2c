/**
 * Credentials: attributes an authority binds to a subject identifier, and the reasons one can be refused.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.api.credential;
