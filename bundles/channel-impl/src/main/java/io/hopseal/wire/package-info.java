/**
 * Byte encodings shared by every transport: the routing envelope that carries a message between neighbours.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.hopseal.wire;
