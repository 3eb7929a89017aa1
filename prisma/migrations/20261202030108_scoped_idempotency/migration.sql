-- Idempotency keys are scoped by workspace and user (issue 11): a (clientId, mutationId)
-- pushed by one user no longer answers, blocks or shadows another user's change. Existing rows
-- stay valid: the new key only adds columns to the old one.
-- AlterTable
ALTER TABLE "AppliedMutation" DROP CONSTRAINT "AppliedMutation_pkey",
ADD CONSTRAINT "AppliedMutation_pkey" PRIMARY KEY ("workspaceId", "userId", "clientId", "mutationId");
