/**
 * In-memory links between nodes in one JVM (tests, simulations, embedding).
 */
package io.hopseal.impl.memory;
