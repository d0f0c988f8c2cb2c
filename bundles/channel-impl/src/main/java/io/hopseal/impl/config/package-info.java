/**
 * Configuration support shared by the DS components of every Hopseal bundle: component property types built from
 * stored properties ({@link io.hopseal.impl.config.PropertyTypes}) and the last configuration each component accepted
 * ({@link io.hopseal.impl.config.LastGoodConfigs}), so that an invalid stored configuration never takes a running
 * part out of service, not even after a restart; and the owner-only, atomically replaced files in which components
 * keep such small state ({@link io.hopseal.impl.config.PrivateFiles}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.impl.config;
