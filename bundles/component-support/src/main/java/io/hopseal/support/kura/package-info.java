/**
 * What components share on Kura: {@link io.hopseal.support.kura.KuraPasswords}, a {@code Password} attribute as Kura
 * stores it, made clear with Kura's CryptoService.
 *
 * <p>Embedded privately (bnd {@code -conditionalpackage: io.hopseal.support.*} takes it in only where a bundle uses
 * it); it needs Kura's {@code org.eclipse.kura.crypto} package, which such a bundle imports optionally and reaches
 * only when a CryptoService is bound.
 */
package io.hopseal.support.kura;
