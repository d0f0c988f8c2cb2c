/**
 * Kura's base package (exported 1.7.0 by the Kura 5.6 API bundle 2.8.0): only {@link org.eclipse.kura.KuraException}
 * and {@link org.eclipse.kura.KuraErrorCode}, the exception type every Kura service method declares.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.7.0")
package org.eclipse.kura;
