// accessAsCode.test.ts in the external target's shape (issue 17): the same steps, drift and lake-change tests,
// with the catalog set up as the external target sets it up — a managed admin (LOGIN CREATEROLE CREATEDB, no
// superuser) creates roles and database, the owner login builds the catalog and installs the guard, the admin
// creates the readers. Nothing here runs as a superuser except the cleanup.
import "./accessAsCode.test";
