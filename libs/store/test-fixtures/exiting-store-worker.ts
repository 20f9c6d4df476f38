/**
 * Fixture: the shipped store worker plus a fault (exit-fault.ts) for tests of the threaded
 * store's restart. Static imports, evaluated in order: the fault's listener sees each batch first.
 */
import "./exit-fault.js";
import "../src/store-worker.js";
