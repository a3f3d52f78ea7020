// catalogGuard.attacks.test.ts in the external target's shape (issue 17): the same tests on a lake set up by a managed
// admin without superuser, the guard installed by the owner login (test/fixtures/guardHarness.ts).
import "./catalogGuard.attacks.test";
