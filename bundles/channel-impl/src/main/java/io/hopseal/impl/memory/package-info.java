/**
 * In-memory links between nodes in one JVM (tests, simulations, embedding).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.impl.memory;
