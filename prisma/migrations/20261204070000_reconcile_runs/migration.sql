-- Finished runs of the periodic reconciler and what each repaired (the API sums them into its
-- reconciler repairs counter).
-- (No semicolons or quotes in these comments: Prisma splits the script on them.)
-- CreateTable
CREATE TABLE "ReconcileRun" (
    "id" BIGSERIAL NOT NULL,
    "workflowRunId" TEXT NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "armed" INTEGER NOT NULL,
    "started" INTEGER NOT NULL,
    "replanned" INTEGER NOT NULL,
    "ended" INTEGER NOT NULL,
    "orphansEnded" INTEGER NOT NULL,

    CONSTRAINT "ReconcileRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ReconcileRun_workflowRunId_key" ON "ReconcileRun"("workflowRunId");
