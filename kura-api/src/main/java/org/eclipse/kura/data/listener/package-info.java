/** Listener of Kura's data service (exported 1.0.1 by Kura's API bundle). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.1")
package org.eclipse.kura.data.listener;
