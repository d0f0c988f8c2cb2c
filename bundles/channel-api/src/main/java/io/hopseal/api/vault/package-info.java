/**
 * Key vault SPI: keys are used by handle, private key material never leaves an implementation.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.hopseal.api.vault;
