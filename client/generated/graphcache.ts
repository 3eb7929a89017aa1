import type { cacheExchange, Resolver as GraphCacheResolver, UpdateResolver as GraphCacheUpdateResolver, OptimisticMutationResolver as GraphCacheOptimisticMutationResolver } from '@urql/exchange-graphcache';

export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An opaque position in a workspace change stream. Store it and pass it back; never parse it. */
  Cursor: { input: string; output: string; }
  /** An ISO 8601 date-time with a time zone, e.g. 2026-11-22T10:00:00.000Z. */
  DateTime: { input: string; output: string; }
  /** Any JSON value. */
  JSON: { input: unknown; output: unknown; }
};

/** One applied change from the change log: who changed what, from which client, when. */
export type AuditEntry = {
  __typename: 'AuditEntry';
  actorId: Scalars['ID']['output'];
  changedFields: Array<Scalars['String']['output']>;
  /** Per changed field, `{ "old": ..., "new": ... }`. */
  changes: Scalars['JSON']['output'];
  /** The pushing client; null for server-side changes such as resolutions. */
  clientId?: Maybe<Scalars['ID']['output']>;
  createdAt: Scalars['DateTime']['output'];
  /** The position of this change; pass it as `before` to read older ones. */
  cursor: Scalars['Cursor']['output'];
  entityId: Scalars['ID']['output'];
  entityType: EntityType;
  mutationId?: Maybe<Scalars['ID']['output']>;
  /** CREATE, UPDATE or DELETE. */
  op: Scalars['String']['output'];
  /** The entity version this change produced. */
  version: Scalars['Int']['output'];
  workspaceId: Scalars['ID']['output'];
};

export type AuditLogPage = {
  __typename: 'AuditLogPage';
  /** Pass as `before` for the next (older) page; null when this page is empty. */
  cursor?: Maybe<Scalars['Cursor']['output']>;
  entries: Array<AuditEntry>;
  hasMore: Scalars['Boolean']['output'];
};

export type ChangeBatch = {
  __typename: 'ChangeBatch';
  cursor: Scalars['Cursor']['output'];
  entities: Array<SyncEntity>;
  hasMore: Scalars['Boolean']['output'];
};

export type ChangeInput =
  { comment: CommentChange; project?: never; task?: never; }
  |  { comment?: never; project: ProjectChange; task?: never; }
  |  { comment?: never; project?: never; task: TaskChange; };

export type ChangeResult = {
  __typename: 'ChangeResult';
  conflict?: Maybe<Conflict>;
  entity?: Maybe<SyncEntity>;
  error?: Maybe<SyncError>;
  mergedFields: Array<Scalars['String']['output']>;
  mutationId: Scalars['ID']['output'];
  status: ChangeStatus;
};

export type ChangeStatus =
  | 'APPLIED'
  | 'CONFLICT'
  | 'DUPLICATE'
  | 'MERGED'
  | 'REJECTED';

export type Comment = SyncRecord & {
  __typename: 'Comment';
  authorId: Scalars['ID']['output'];
  body: Scalars['String']['output'];
  deleted: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  taskId: Scalars['ID']['output'];
  updatedAt: Scalars['DateTime']['output'];
  updatedBy?: Maybe<Scalars['ID']['output']>;
  version: Scalars['Int']['output'];
  workspaceId: Scalars['ID']['output'];
};

export type CommentChange = {
  /** The entity version the client last saw; 0 or null for a create. */
  baseVersion?: InputMaybe<Scalars['Int']['input']>;
  delete?: InputMaybe<Scalars['Boolean']['input']>;
  /** Hybrid logical clock "<unixMillis>:<counter>" of the edit. */
  hlc?: InputMaybe<Scalars['String']['input']>;
  /** The entity id, chosen by the client for creates (UUIDv7 or ULID). */
  id: Scalars['ID']['input'];
  /** Unique per client: a replay with the same id is answered DUPLICATE. */
  mutationId: Scalars['ID']['input'];
  patch?: InputMaybe<CommentPatch>;
};

export type CommentPatch = {
  body?: InputMaybe<Scalars['String']['input']>;
  taskId?: InputMaybe<Scalars['ID']['input']>;
};

/** A change that could not be merged automatically; people resolve it with resolveConflict. */
export type Conflict = {
  __typename: 'Conflict';
  actorId?: Maybe<Scalars['ID']['output']>;
  baseValue?: Maybe<Scalars['JSON']['output']>;
  clientId?: Maybe<Scalars['ID']['output']>;
  createdAt: Scalars['DateTime']['output'];
  entityId: Scalars['ID']['output'];
  entityType: EntityType;
  /** The conflicting field, or `_deleted` for an edit of a deleted entity. */
  field: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  localValue?: Maybe<Scalars['JSON']['output']>;
  resolution?: Maybe<Scalars['JSON']['output']>;
  resolvedAt?: Maybe<Scalars['DateTime']['output']>;
  resolvedBy?: Maybe<Scalars['ID']['output']>;
  serverValue?: Maybe<Scalars['JSON']['output']>;
  status: ConflictStatus;
  workspaceId: Scalars['ID']['output'];
};

export type ConflictChoice =
  | 'CUSTOM'
  | 'LOCAL'
  | 'SERVER';

export type ConflictStatus =
  | 'OPEN'
  | 'RESOLVED';

/** One applied change of a workspace. */
export type EntityChange = {
  __typename: 'EntityChange';
  actorId?: Maybe<Scalars['ID']['output']>;
  changedFields: Array<Scalars['String']['output']>;
  clientId?: Maybe<Scalars['ID']['output']>;
  /** Resume with entityChanged(after:) or changesSince(cursor:) from here. */
  cursor: Scalars['Cursor']['output'];
  entity: SyncEntity;
  /** CREATE, UPDATE or DELETE. */
  op: Scalars['String']['output'];
};

export type EntityType =
  | 'COMMENT'
  | 'PROJECT'
  | 'TASK';

export type Member = {
  __typename: 'Member';
  role: Role;
  userId: Scalars['ID']['output'];
};

export type Mutation = {
  __typename: 'Mutation';
  /** Adds a member or changes a member's role (ADMIN only). */
  addMember: Member;
  /** Creates a workspace with the signed-in user as its ADMIN. */
  createWorkspace: Workspace;
  /** Applies a batch of changes in order, each on its own merits, and reports per change whether it was applied, merged, conflicted, rejected or a duplicate. */
  pushChanges: PushChangesPayload;
  /** Removes a member (ADMIN only); false when they were not one. The last ADMIN stays. */
  removeMember: Scalars['Boolean']['output'];
  /** SERVER keeps the server value, LOCAL applies the local value, CUSTOM applies `value`. The resolution is itself an applied change. */
  resolveConflict: Conflict;
};


export type MutationAddMemberArgs = {
  role: Role;
  userId: Scalars['ID']['input'];
  workspaceId: Scalars['ID']['input'];
};


export type MutationCreateWorkspaceArgs = {
  name: Scalars['String']['input'];
};


export type MutationPushChangesArgs = {
  input: PushChangesInput;
};


export type MutationRemoveMemberArgs = {
  userId: Scalars['ID']['input'];
  workspaceId: Scalars['ID']['input'];
};


export type MutationResolveConflictArgs = {
  choice: ConflictChoice;
  id: Scalars['ID']['input'];
  value?: InputMaybe<Scalars['JSON']['input']>;
};

export type Project = SyncRecord & {
  __typename: 'Project';
  archived: Scalars['Boolean']['output'];
  color?: Maybe<Scalars['String']['output']>;
  deleted: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  updatedAt: Scalars['DateTime']['output'];
  updatedBy?: Maybe<Scalars['ID']['output']>;
  version: Scalars['Int']['output'];
  workspaceId: Scalars['ID']['output'];
};

export type ProjectChange = {
  /** The entity version the client last saw; 0 or null for a create. */
  baseVersion?: InputMaybe<Scalars['Int']['input']>;
  delete?: InputMaybe<Scalars['Boolean']['input']>;
  /** Hybrid logical clock "<unixMillis>:<counter>" of the edit. */
  hlc?: InputMaybe<Scalars['String']['input']>;
  /** The entity id, chosen by the client for creates (UUIDv7 or ULID). */
  id: Scalars['ID']['input'];
  /** Unique per client: a replay with the same id is answered DUPLICATE. */
  mutationId: Scalars['ID']['input'];
  patch?: InputMaybe<ProjectPatch>;
};

export type ProjectPatch = {
  archived?: InputMaybe<Scalars['Boolean']['input']>;
  color?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
};

export type PushChangesInput = {
  changes: Array<ChangeInput>;
  clientId: Scalars['ID']['input'];
  workspaceId: Scalars['ID']['input'];
};

export type PushChangesPayload = {
  __typename: 'PushChangesPayload';
  /** The workspace cursor after this push. */
  cursor: Scalars['Cursor']['output'];
  results: Array<ChangeResult>;
};

export type Query = {
  __typename: 'Query';
  /** The change log of a workspace, newest first, optionally of one entity or one actor. ADMIN only. */
  auditLog: AuditLogPage;
  /** The latest state of every entity (tombstones included) changed after `cursor`, in order. Call again with the returned cursor while hasMore. */
  changesSince: ChangeBatch;
  comment?: Maybe<Comment>;
  /** Conflicts of a workspace, oldest first. Page with `after`: the id of the last conflict seen. */
  conflicts: Array<Conflict>;
  /** The signed-in user id, or null without a token. */
  me?: Maybe<Scalars['ID']['output']>;
  project?: Maybe<Project>;
  task?: Maybe<Task>;
  /** The workspaces the signed-in user belongs to. */
  workspaces: Array<Workspace>;
};


export type QueryAuditLogArgs = {
  actorId?: InputMaybe<Scalars['ID']['input']>;
  before?: InputMaybe<Scalars['Cursor']['input']>;
  entityId?: InputMaybe<Scalars['ID']['input']>;
  entityType?: InputMaybe<EntityType>;
  first?: InputMaybe<Scalars['Int']['input']>;
  workspaceId: Scalars['ID']['input'];
};


export type QueryChangesSinceArgs = {
  cursor?: InputMaybe<Scalars['Cursor']['input']>;
  limit?: InputMaybe<Scalars['Int']['input']>;
  types?: InputMaybe<Array<EntityType>>;
  workspaceId: Scalars['ID']['input'];
};


export type QueryCommentArgs = {
  id: Scalars['ID']['input'];
};


export type QueryConflictsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<ConflictStatus>;
  workspaceId: Scalars['ID']['input'];
};


export type QueryProjectArgs = {
  id: Scalars['ID']['input'];
};


export type QueryTaskArgs = {
  id: Scalars['ID']['input'];
};

export type Role =
  | 'ADMIN'
  | 'EDITOR'
  | 'VIEWER';

export type Subscription = {
  __typename: 'Subscription';
  /** Emits when a conflict opens and when it is resolved. */
  conflictChanged: Conflict;
  /** One event per applied change, after its commit. With `after`, replays every change after that cursor first, then continues live: no gap, no duplicate. */
  entityChanged: EntityChange;
};


export type SubscriptionConflictChangedArgs = {
  workspaceId: Scalars['ID']['input'];
};


export type SubscriptionEntityChangedArgs = {
  after?: InputMaybe<Scalars['Cursor']['input']>;
  types?: InputMaybe<Array<EntityType>>;
  workspaceId: Scalars['ID']['input'];
};

export type SyncEntity = Comment | Project | Task;

export type SyncError = {
  __typename: 'SyncError';
  code: Scalars['String']['output'];
  field?: Maybe<Scalars['String']['output']>;
  message: Scalars['String']['output'];
};

export type SyncRecord = {
  deleted: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  updatedAt: Scalars['DateTime']['output'];
  updatedBy?: Maybe<Scalars['ID']['output']>;
  version: Scalars['Int']['output'];
  workspaceId: Scalars['ID']['output'];
};

export type Task = SyncRecord & {
  __typename: 'Task';
  assigneeId?: Maybe<Scalars['ID']['output']>;
  deleted: Scalars['Boolean']['output'];
  dueAt?: Maybe<Scalars['DateTime']['output']>;
  estimateMinutes?: Maybe<Scalars['Int']['output']>;
  id: Scalars['ID']['output'];
  notes: Scalars['String']['output'];
  priority: Scalars['Int']['output'];
  projectId?: Maybe<Scalars['ID']['output']>;
  sortKey: Scalars['String']['output'];
  status: TaskStatus;
  tags: Array<Scalars['String']['output']>;
  timeSpentMinutes: Scalars['Int']['output'];
  title: Scalars['String']['output'];
  updatedAt: Scalars['DateTime']['output'];
  updatedBy?: Maybe<Scalars['ID']['output']>;
  version: Scalars['Int']['output'];
  workspaceId: Scalars['ID']['output'];
};

export type TaskChange = {
  /** The entity version the client last saw; 0 or null for a create. */
  baseVersion?: InputMaybe<Scalars['Int']['input']>;
  delete?: InputMaybe<Scalars['Boolean']['input']>;
  /** Hybrid logical clock "<unixMillis>:<counter>" of the edit. */
  hlc?: InputMaybe<Scalars['String']['input']>;
  /** The entity id, chosen by the client for creates (UUIDv7 or ULID). */
  id: Scalars['ID']['input'];
  /** Unique per client: a replay with the same id is answered DUPLICATE. */
  mutationId: Scalars['ID']['input'];
  patch?: InputMaybe<TaskPatch>;
};

export type TaskPatch = {
  assigneeId?: InputMaybe<Scalars['ID']['input']>;
  dueAt?: InputMaybe<Scalars['DateTime']['input']>;
  estimateMinutes?: InputMaybe<Scalars['Int']['input']>;
  notes?: InputMaybe<Scalars['String']['input']>;
  priority?: InputMaybe<Scalars['Int']['input']>;
  projectId?: InputMaybe<Scalars['ID']['input']>;
  sortKey?: InputMaybe<Scalars['String']['input']>;
  status?: InputMaybe<TaskStatus>;
  tagsAdd?: InputMaybe<Array<Scalars['String']['input']>>;
  tagsRemove?: InputMaybe<Array<Scalars['String']['input']>>;
  timeSpentDelta?: InputMaybe<Scalars['Int']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
};

export type TaskStatus =
  | 'DONE'
  | 'IN_PROGRESS'
  | 'TODO';

export type Workspace = {
  __typename: 'Workspace';
  /** The workspace cursor now: changesSince from here returns only later changes. */
  cursor: Scalars['Cursor']['output'];
  id: Scalars['ID']['output'];
  members: Array<Member>;
  name: Scalars['String']['output'];
  /** The signed-in user's role here. */
  role: Role;
};

export type WithTypename<T extends { __typename?: any }> = Partial<T> & { __typename: NonNullable<T['__typename']> };

export type GraphCacheKeysConfig = {
  AuditEntry?: (data: WithTypename<AuditEntry>) => null | string,
  AuditLogPage?: (data: WithTypename<AuditLogPage>) => null | string,
  ChangeBatch?: (data: WithTypename<ChangeBatch>) => null | string,
  ChangeResult?: (data: WithTypename<ChangeResult>) => null | string,
  Comment?: (data: WithTypename<Comment>) => null | string,
  Conflict?: (data: WithTypename<Conflict>) => null | string,
  EntityChange?: (data: WithTypename<EntityChange>) => null | string,
  Member?: (data: WithTypename<Member>) => null | string,
  Project?: (data: WithTypename<Project>) => null | string,
  PushChangesPayload?: (data: WithTypename<PushChangesPayload>) => null | string,
  SyncError?: (data: WithTypename<SyncError>) => null | string,
  Task?: (data: WithTypename<Task>) => null | string,
  Workspace?: (data: WithTypename<Workspace>) => null | string
}

export type GraphCacheResolvers = {
  Query?: {
    auditLog?: GraphCacheResolver<WithTypename<Query>, QueryAuditLogArgs, WithTypename<AuditLogPage> | string>,
    changesSince?: GraphCacheResolver<WithTypename<Query>, QueryChangesSinceArgs, WithTypename<ChangeBatch> | string>,
    comment?: GraphCacheResolver<WithTypename<Query>, QueryCommentArgs, WithTypename<Comment> | string>,
    conflicts?: GraphCacheResolver<WithTypename<Query>, QueryConflictsArgs, Array<WithTypename<Conflict> | string>>,
    me?: GraphCacheResolver<WithTypename<Query>, Record<string, never>, Scalars['ID']['output'] | string>,
    project?: GraphCacheResolver<WithTypename<Query>, QueryProjectArgs, WithTypename<Project> | string>,
    task?: GraphCacheResolver<WithTypename<Query>, QueryTaskArgs, WithTypename<Task> | string>,
    workspaces?: GraphCacheResolver<WithTypename<Query>, Record<string, never>, Array<WithTypename<Workspace> | string>>
  },
  AuditEntry?: {
    actorId?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['ID']['output'] | string>,
    changedFields?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Array<Scalars['String']['output'] | string>>,
    changes?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['JSON']['output'] | string>,
    clientId?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['ID']['output'] | string>,
    createdAt?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['DateTime']['output'] | string>,
    cursor?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['Cursor']['output'] | string>,
    entityId?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['ID']['output'] | string>,
    entityType?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, EntityType | string>,
    mutationId?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['ID']['output'] | string>,
    op?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['String']['output'] | string>,
    version?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['Int']['output'] | string>,
    workspaceId?: GraphCacheResolver<WithTypename<AuditEntry>, Record<string, never>, Scalars['ID']['output'] | string>
  },
  AuditLogPage?: {
    cursor?: GraphCacheResolver<WithTypename<AuditLogPage>, Record<string, never>, Scalars['Cursor']['output'] | string>,
    entries?: GraphCacheResolver<WithTypename<AuditLogPage>, Record<string, never>, Array<WithTypename<AuditEntry> | string>>,
    hasMore?: GraphCacheResolver<WithTypename<AuditLogPage>, Record<string, never>, Scalars['Boolean']['output'] | string>
  },
  ChangeBatch?: {
    cursor?: GraphCacheResolver<WithTypename<ChangeBatch>, Record<string, never>, Scalars['Cursor']['output'] | string>,
    entities?: GraphCacheResolver<WithTypename<ChangeBatch>, Record<string, never>, Array<WithTypename<SyncEntity> | string>>,
    hasMore?: GraphCacheResolver<WithTypename<ChangeBatch>, Record<string, never>, Scalars['Boolean']['output'] | string>
  },
  ChangeResult?: {
    conflict?: GraphCacheResolver<WithTypename<ChangeResult>, Record<string, never>, WithTypename<Conflict> | string>,
    entity?: GraphCacheResolver<WithTypename<ChangeResult>, Record<string, never>, WithTypename<SyncEntity> | string>,
    error?: GraphCacheResolver<WithTypename<ChangeResult>, Record<string, never>, WithTypename<SyncError> | string>,
    mergedFields?: GraphCacheResolver<WithTypename<ChangeResult>, Record<string, never>, Array<Scalars['String']['output'] | string>>,
    mutationId?: GraphCacheResolver<WithTypename<ChangeResult>, Record<string, never>, Scalars['ID']['output'] | string>,
    status?: GraphCacheResolver<WithTypename<ChangeResult>, Record<string, never>, ChangeStatus | string>
  },
  Comment?: {
    authorId?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['ID']['output'] | string>,
    body?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['String']['output'] | string>,
    deleted?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['Boolean']['output'] | string>,
    id?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['ID']['output'] | string>,
    taskId?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['ID']['output'] | string>,
    updatedAt?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['DateTime']['output'] | string>,
    updatedBy?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['ID']['output'] | string>,
    version?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['Int']['output'] | string>,
    workspaceId?: GraphCacheResolver<WithTypename<Comment>, Record<string, never>, Scalars['ID']['output'] | string>
  },
  Conflict?: {
    actorId?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['ID']['output'] | string>,
    baseValue?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['JSON']['output'] | string>,
    clientId?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['ID']['output'] | string>,
    createdAt?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['DateTime']['output'] | string>,
    entityId?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['ID']['output'] | string>,
    entityType?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, EntityType | string>,
    field?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['String']['output'] | string>,
    id?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['ID']['output'] | string>,
    localValue?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['JSON']['output'] | string>,
    resolution?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['JSON']['output'] | string>,
    resolvedAt?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['DateTime']['output'] | string>,
    resolvedBy?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['ID']['output'] | string>,
    serverValue?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['JSON']['output'] | string>,
    status?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, ConflictStatus | string>,
    workspaceId?: GraphCacheResolver<WithTypename<Conflict>, Record<string, never>, Scalars['ID']['output'] | string>
  },
  EntityChange?: {
    actorId?: GraphCacheResolver<WithTypename<EntityChange>, Record<string, never>, Scalars['ID']['output'] | string>,
    changedFields?: GraphCacheResolver<WithTypename<EntityChange>, Record<string, never>, Array<Scalars['String']['output'] | string>>,
    clientId?: GraphCacheResolver<WithTypename<EntityChange>, Record<string, never>, Scalars['ID']['output'] | string>,
    cursor?: GraphCacheResolver<WithTypename<EntityChange>, Record<string, never>, Scalars['Cursor']['output'] | string>,
    entity?: GraphCacheResolver<WithTypename<EntityChange>, Record<string, never>, WithTypename<SyncEntity> | string>,
    op?: GraphCacheResolver<WithTypename<EntityChange>, Record<string, never>, Scalars['String']['output'] | string>
  },
  Member?: {
    role?: GraphCacheResolver<WithTypename<Member>, Record<string, never>, Role | string>,
    userId?: GraphCacheResolver<WithTypename<Member>, Record<string, never>, Scalars['ID']['output'] | string>
  },
  Project?: {
    archived?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['Boolean']['output'] | string>,
    color?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['String']['output'] | string>,
    deleted?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['Boolean']['output'] | string>,
    id?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['ID']['output'] | string>,
    name?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['String']['output'] | string>,
    updatedAt?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['DateTime']['output'] | string>,
    updatedBy?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['ID']['output'] | string>,
    version?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['Int']['output'] | string>,
    workspaceId?: GraphCacheResolver<WithTypename<Project>, Record<string, never>, Scalars['ID']['output'] | string>
  },
  PushChangesPayload?: {
    cursor?: GraphCacheResolver<WithTypename<PushChangesPayload>, Record<string, never>, Scalars['Cursor']['output'] | string>,
    results?: GraphCacheResolver<WithTypename<PushChangesPayload>, Record<string, never>, Array<WithTypename<ChangeResult> | string>>
  },
  SyncError?: {
    code?: GraphCacheResolver<WithTypename<SyncError>, Record<string, never>, Scalars['String']['output'] | string>,
    field?: GraphCacheResolver<WithTypename<SyncError>, Record<string, never>, Scalars['String']['output'] | string>,
    message?: GraphCacheResolver<WithTypename<SyncError>, Record<string, never>, Scalars['String']['output'] | string>
  },
  Task?: {
    assigneeId?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['ID']['output'] | string>,
    deleted?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['Boolean']['output'] | string>,
    dueAt?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['DateTime']['output'] | string>,
    estimateMinutes?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['Int']['output'] | string>,
    id?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['ID']['output'] | string>,
    notes?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['String']['output'] | string>,
    priority?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['Int']['output'] | string>,
    projectId?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['ID']['output'] | string>,
    sortKey?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['String']['output'] | string>,
    status?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, TaskStatus | string>,
    tags?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Array<Scalars['String']['output'] | string>>,
    timeSpentMinutes?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['Int']['output'] | string>,
    title?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['String']['output'] | string>,
    updatedAt?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['DateTime']['output'] | string>,
    updatedBy?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['ID']['output'] | string>,
    version?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['Int']['output'] | string>,
    workspaceId?: GraphCacheResolver<WithTypename<Task>, Record<string, never>, Scalars['ID']['output'] | string>
  },
  Workspace?: {
    cursor?: GraphCacheResolver<WithTypename<Workspace>, Record<string, never>, Scalars['Cursor']['output'] | string>,
    id?: GraphCacheResolver<WithTypename<Workspace>, Record<string, never>, Scalars['ID']['output'] | string>,
    members?: GraphCacheResolver<WithTypename<Workspace>, Record<string, never>, Array<WithTypename<Member> | string>>,
    name?: GraphCacheResolver<WithTypename<Workspace>, Record<string, never>, Scalars['String']['output'] | string>,
    role?: GraphCacheResolver<WithTypename<Workspace>, Record<string, never>, Role | string>
  }
};

export type GraphCacheOptimisticUpdaters = {
  addMember?: GraphCacheOptimisticMutationResolver<MutationAddMemberArgs, WithTypename<Member>>,
  createWorkspace?: GraphCacheOptimisticMutationResolver<MutationCreateWorkspaceArgs, WithTypename<Workspace>>,
  pushChanges?: GraphCacheOptimisticMutationResolver<MutationPushChangesArgs, WithTypename<PushChangesPayload>>,
  removeMember?: GraphCacheOptimisticMutationResolver<MutationRemoveMemberArgs, Scalars['Boolean']['output']>,
  resolveConflict?: GraphCacheOptimisticMutationResolver<MutationResolveConflictArgs, WithTypename<Conflict>>
};

export type GraphCacheUpdaters = {
  Query?: {
    auditLog?: GraphCacheUpdateResolver<{ auditLog: WithTypename<AuditLogPage> }, QueryAuditLogArgs>,
    changesSince?: GraphCacheUpdateResolver<{ changesSince: WithTypename<ChangeBatch> }, QueryChangesSinceArgs>,
    comment?: GraphCacheUpdateResolver<{ comment: Maybe<WithTypename<Comment>> }, QueryCommentArgs>,
    conflicts?: GraphCacheUpdateResolver<{ conflicts: Array<WithTypename<Conflict>> }, QueryConflictsArgs>,
    me?: GraphCacheUpdateResolver<{ me: Maybe<Scalars['ID']['output']> }, Record<string, never>>,
    project?: GraphCacheUpdateResolver<{ project: Maybe<WithTypename<Project>> }, QueryProjectArgs>,
    task?: GraphCacheUpdateResolver<{ task: Maybe<WithTypename<Task>> }, QueryTaskArgs>,
    workspaces?: GraphCacheUpdateResolver<{ workspaces: Array<WithTypename<Workspace>> }, Record<string, never>>
  },
  Mutation?: {
    addMember?: GraphCacheUpdateResolver<{ addMember: WithTypename<Member> }, MutationAddMemberArgs>,
    createWorkspace?: GraphCacheUpdateResolver<{ createWorkspace: WithTypename<Workspace> }, MutationCreateWorkspaceArgs>,
    pushChanges?: GraphCacheUpdateResolver<{ pushChanges: WithTypename<PushChangesPayload> }, MutationPushChangesArgs>,
    removeMember?: GraphCacheUpdateResolver<{ removeMember: Scalars['Boolean']['output'] }, MutationRemoveMemberArgs>,
    resolveConflict?: GraphCacheUpdateResolver<{ resolveConflict: WithTypename<Conflict> }, MutationResolveConflictArgs>
  },
  Subscription?: {
    conflictChanged?: GraphCacheUpdateResolver<{ conflictChanged: WithTypename<Conflict> }, SubscriptionConflictChangedArgs>,
    entityChanged?: GraphCacheUpdateResolver<{ entityChanged: WithTypename<EntityChange> }, SubscriptionEntityChangedArgs>
  },
  AuditEntry?: {
    actorId?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    changedFields?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    changes?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    clientId?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    createdAt?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    cursor?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    entityId?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    entityType?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    mutationId?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    op?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    version?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>,
    workspaceId?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditEntry>>, Record<string, never>>
  },
  AuditLogPage?: {
    cursor?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditLogPage>>, Record<string, never>>,
    entries?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditLogPage>>, Record<string, never>>,
    hasMore?: GraphCacheUpdateResolver<Maybe<WithTypename<AuditLogPage>>, Record<string, never>>
  },
  ChangeBatch?: {
    cursor?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeBatch>>, Record<string, never>>,
    entities?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeBatch>>, Record<string, never>>,
    hasMore?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeBatch>>, Record<string, never>>
  },
  ChangeResult?: {
    conflict?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeResult>>, Record<string, never>>,
    entity?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeResult>>, Record<string, never>>,
    error?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeResult>>, Record<string, never>>,
    mergedFields?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeResult>>, Record<string, never>>,
    mutationId?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeResult>>, Record<string, never>>,
    status?: GraphCacheUpdateResolver<Maybe<WithTypename<ChangeResult>>, Record<string, never>>
  },
  Comment?: {
    authorId?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>,
    body?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>,
    deleted?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>,
    id?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>,
    taskId?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>,
    updatedAt?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>,
    updatedBy?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>,
    version?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>,
    workspaceId?: GraphCacheUpdateResolver<Maybe<WithTypename<Comment>>, Record<string, never>>
  },
  Conflict?: {
    actorId?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    baseValue?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    clientId?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    createdAt?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    entityId?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    entityType?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    field?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    id?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    localValue?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    resolution?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    resolvedAt?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    resolvedBy?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    serverValue?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    status?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>,
    workspaceId?: GraphCacheUpdateResolver<Maybe<WithTypename<Conflict>>, Record<string, never>>
  },
  EntityChange?: {
    actorId?: GraphCacheUpdateResolver<Maybe<WithTypename<EntityChange>>, Record<string, never>>,
    changedFields?: GraphCacheUpdateResolver<Maybe<WithTypename<EntityChange>>, Record<string, never>>,
    clientId?: GraphCacheUpdateResolver<Maybe<WithTypename<EntityChange>>, Record<string, never>>,
    cursor?: GraphCacheUpdateResolver<Maybe<WithTypename<EntityChange>>, Record<string, never>>,
    entity?: GraphCacheUpdateResolver<Maybe<WithTypename<EntityChange>>, Record<string, never>>,
    op?: GraphCacheUpdateResolver<Maybe<WithTypename<EntityChange>>, Record<string, never>>
  },
  Member?: {
    role?: GraphCacheUpdateResolver<Maybe<WithTypename<Member>>, Record<string, never>>,
    userId?: GraphCacheUpdateResolver<Maybe<WithTypename<Member>>, Record<string, never>>
  },
  Project?: {
    archived?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>,
    color?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>,
    deleted?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>,
    id?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>,
    name?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>,
    updatedAt?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>,
    updatedBy?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>,
    version?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>,
    workspaceId?: GraphCacheUpdateResolver<Maybe<WithTypename<Project>>, Record<string, never>>
  },
  PushChangesPayload?: {
    cursor?: GraphCacheUpdateResolver<Maybe<WithTypename<PushChangesPayload>>, Record<string, never>>,
    results?: GraphCacheUpdateResolver<Maybe<WithTypename<PushChangesPayload>>, Record<string, never>>
  },
  SyncError?: {
    code?: GraphCacheUpdateResolver<Maybe<WithTypename<SyncError>>, Record<string, never>>,
    field?: GraphCacheUpdateResolver<Maybe<WithTypename<SyncError>>, Record<string, never>>,
    message?: GraphCacheUpdateResolver<Maybe<WithTypename<SyncError>>, Record<string, never>>
  },
  Task?: {
    assigneeId?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    deleted?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    dueAt?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    estimateMinutes?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    id?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    notes?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    priority?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    projectId?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    sortKey?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    status?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    tags?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    timeSpentMinutes?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    title?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    updatedAt?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    updatedBy?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    version?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>,
    workspaceId?: GraphCacheUpdateResolver<Maybe<WithTypename<Task>>, Record<string, never>>
  },
  Workspace?: {
    cursor?: GraphCacheUpdateResolver<Maybe<WithTypename<Workspace>>, Record<string, never>>,
    id?: GraphCacheUpdateResolver<Maybe<WithTypename<Workspace>>, Record<string, never>>,
    members?: GraphCacheUpdateResolver<Maybe<WithTypename<Workspace>>, Record<string, never>>,
    name?: GraphCacheUpdateResolver<Maybe<WithTypename<Workspace>>, Record<string, never>>,
    role?: GraphCacheUpdateResolver<Maybe<WithTypename<Workspace>>, Record<string, never>>
  },
};

export type GraphCacheConfig = Parameters<typeof cacheExchange>[0] & {
  updates?: GraphCacheUpdaters,
  keys?: GraphCacheKeysConfig,
  optimistic?: GraphCacheOptimisticUpdaters,
  resolvers?: GraphCacheResolvers,
};