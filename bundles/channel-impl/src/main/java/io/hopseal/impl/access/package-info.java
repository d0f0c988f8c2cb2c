/**
 * Attribute-based access control: a small policy language over the {@link io.hopseal.impl.access.Subject} of a
 * message (proven identifier plus verified credential attributes), compiled by
 * {@link io.hopseal.impl.access.Policy#parse}, and a per-service registry, {@link io.hopseal.impl.access.AccessControl},
 * that decides (default deny for a service with a policy) and counts.
 */
package io.hopseal.impl.access;
