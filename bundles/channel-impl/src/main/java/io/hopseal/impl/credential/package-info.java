/**
 * Credentials, authorities, revocation lists and enrollment: the zero-trust attribute layer on top of identities.
 */
package io.hopseal.impl.credential;
