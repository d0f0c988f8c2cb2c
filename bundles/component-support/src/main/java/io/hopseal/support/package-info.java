/**
 * Support every Hopseal bundle's DS components share without it being a contract: component property types built
 * from stored properties ({@link io.hopseal.support.PropertyTypes}), the last configuration each component accepted
 * ({@link io.hopseal.support.LastGoodConfigs}), owner-only atomically replaced files
 * ({@link io.hopseal.support.PrivateFiles}) and {@link io.hopseal.support.InvalidFieldException}.
 *
 * <p>Not exported by any bundle: each bundle embeds a private copy (bnd {@code -conditionalpackage}), so updating one
 * bundle never refreshes another through this package.
 */
package io.hopseal.support;
