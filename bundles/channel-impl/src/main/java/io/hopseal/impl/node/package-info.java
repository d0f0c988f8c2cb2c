/**
 * A ready-made node for plain-Java use: router, identity, secure channel service and transports in one object.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.impl.node;
