// generated from model.graphql by npm run generate; do not edit

import type { EntityDescription, EnumDescription, FieldDescription } from '../../model/description.ts';
import type { EntityApi } from '../entities.ts';
import {
  CommentDocument,
  type CommentFieldsFragment,
  CommentFieldsFragmentDoc,
  type CommentPatch,
  ProjectDocument,
  type ProjectFieldsFragment,
  ProjectFieldsFragmentDoc,
  type ProjectPatch,
  TaskDocument,
  type TaskFieldsFragment,
  TaskFieldsFragmentDoc,
  type TaskPatch,
} from './graphql.ts';

/** The part of the model description the client embeds. */
export type ClientFieldDescription = Pick<FieldDescription, 'name' | 'description' | 'graphqlType' | 'typeName' | 'kind' | 'scalar' | 'nullable' | 'list' | 'enumValues' | 'strategy' | 'patchFields' | 'hasDefault' | 'defaultValue' | 'requiredOnCreate' | 'ref' | 'member' | 'owner'>;
export type ClientEntityDescription = Pick<EntityDescription, 'name' | 'description' | 'plural' | 'queryField' | 'changeInputKey' | 'entityType' | 'patchInput' | 'ownerField' | 'requiredOnCreate'> & {
  readonly fields: readonly ClientFieldDescription[];
};
export interface ClientModelDescription {
  readonly entities: readonly ClientEntityDescription[];
  readonly enums: readonly Pick<EnumDescription, 'name' | 'values'>[];
}

export type ProjectEntity = ProjectFieldsFragment;
export type { ProjectPatch };
/** What `sync.projects.create` takes: field values (a set as its items, a counter as its total). */
export type ProjectCreate = {
  /** A client-chosen id; a UUIDv7 is made when absent. */
  id?: string;
  name: string;
  color?: ProjectPatch['color'];
  archived?: ProjectPatch['archived'];
};

export type TaskEntity = TaskFieldsFragment;
export type { TaskPatch };
/** What `sync.tasks.create` takes: field values (a set as its items, a counter as its total). */
export type TaskCreate = {
  /** A client-chosen id; a UUIDv7 is made when absent. */
  id?: string;
  projectId?: TaskPatch['projectId'];
  title: string;
  notes?: TaskPatch['notes'];
  status?: TaskPatch['status'];
  priority?: TaskPatch['priority'];
  tags?: string[];
  assigneeId?: TaskPatch['assigneeId'];
  dueAt?: TaskPatch['dueAt'];
  estimateMinutes?: TaskPatch['estimateMinutes'];
  timeSpentMinutes?: number;
  sortKey?: TaskPatch['sortKey'];
};

export type CommentEntity = CommentFieldsFragment;
export type { CommentPatch };
/** What `sync.comments.create` takes: field values (a set as its items, a counter as its total). */
export type CommentCreate = {
  /** A client-chosen id; a UUIDv7 is made when absent. */
  id?: string;
  taskId: string;
  body: string;
};

export type SyncEntity = ProjectEntity | TaskEntity | CommentEntity;
export type Typename = 'Project' | 'Task' | 'Comment';
/** The key of a change in ChangeInput (`@oneOf`), one per entity type. */
export type EntityKind = 'project' | 'task' | 'comment';
/** Patch fields as the server takes them; absent fields stay as they are. */
export type Patch = ProjectPatch | TaskPatch | CommentPatch;

/** The sync client's typed accessor per entity type: `sync.<plural>`. */
export interface ModelAccessors {
  projects: EntityApi<ProjectCreate, ProjectPatch, ProjectEntity>;
  tasks: EntityApi<TaskCreate, TaskPatch, TaskEntity>;
  comments: EntityApi<CommentCreate, CommentPatch, CommentEntity>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export const clientModel: ClientModelDescription = deepFreeze({
  "entities": [
    {
      "name": "Project",
      "description": null,
      "plural": "projects",
      "queryField": "project",
      "changeInputKey": "project",
      "entityType": "PROJECT",
      "patchInput": "ProjectPatch",
      "ownerField": null,
      "requiredOnCreate": [
        "name"
      ],
      "fields": [
        {
          "name": "name",
          "description": null,
          "graphqlType": "String!",
          "typeName": "String",
          "kind": "SCALAR",
          "scalar": "String",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "name",
              "field": "name",
              "role": "VALUE",
              "graphqlType": "String"
            }
          ],
          "hasDefault": false,
          "defaultValue": null,
          "requiredOnCreate": true,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "color",
          "description": null,
          "graphqlType": "String",
          "typeName": "String",
          "kind": "SCALAR",
          "scalar": "String",
          "nullable": true,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "color",
              "field": "color",
              "role": "VALUE",
              "graphqlType": "String"
            }
          ],
          "hasDefault": true,
          "defaultValue": null,
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "archived",
          "description": null,
          "graphqlType": "Boolean!",
          "typeName": "Boolean",
          "kind": "SCALAR",
          "scalar": "Boolean",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "archived",
              "field": "archived",
              "role": "VALUE",
              "graphqlType": "Boolean"
            }
          ],
          "hasDefault": true,
          "defaultValue": false,
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        }
      ]
    },
    {
      "name": "Task",
      "description": null,
      "plural": "tasks",
      "queryField": "task",
      "changeInputKey": "task",
      "entityType": "TASK",
      "patchInput": "TaskPatch",
      "ownerField": null,
      "requiredOnCreate": [
        "title"
      ],
      "fields": [
        {
          "name": "projectId",
          "description": null,
          "graphqlType": "ID",
          "typeName": "ID",
          "kind": "SCALAR",
          "scalar": "ID",
          "nullable": true,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "projectId",
              "field": "projectId",
              "role": "VALUE",
              "graphqlType": "ID"
            }
          ],
          "hasDefault": true,
          "defaultValue": null,
          "requiredOnCreate": false,
          "ref": "Project",
          "member": false,
          "owner": false
        },
        {
          "name": "title",
          "description": null,
          "graphqlType": "String!",
          "typeName": "String",
          "kind": "SCALAR",
          "scalar": "String",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "TEXT",
          "patchFields": [
            {
              "name": "title",
              "field": "title",
              "role": "VALUE",
              "graphqlType": "String"
            }
          ],
          "hasDefault": false,
          "defaultValue": null,
          "requiredOnCreate": true,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "notes",
          "description": null,
          "graphqlType": "String!",
          "typeName": "String",
          "kind": "SCALAR",
          "scalar": "String",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "TEXT",
          "patchFields": [
            {
              "name": "notes",
              "field": "notes",
              "role": "VALUE",
              "graphqlType": "String"
            }
          ],
          "hasDefault": true,
          "defaultValue": "",
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "status",
          "description": null,
          "graphqlType": "TaskStatus!",
          "typeName": "TaskStatus",
          "kind": "ENUM",
          "scalar": null,
          "nullable": false,
          "list": false,
          "enumValues": [
            "TODO",
            "IN_PROGRESS",
            "DONE"
          ],
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "status",
              "field": "status",
              "role": "VALUE",
              "graphqlType": "TaskStatus"
            }
          ],
          "hasDefault": true,
          "defaultValue": "TODO",
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "priority",
          "description": null,
          "graphqlType": "Int!",
          "typeName": "Int",
          "kind": "SCALAR",
          "scalar": "Int",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "priority",
              "field": "priority",
              "role": "VALUE",
              "graphqlType": "Int"
            }
          ],
          "hasDefault": true,
          "defaultValue": 0,
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "tags",
          "description": null,
          "graphqlType": "[String!]!",
          "typeName": "String",
          "kind": "SCALAR",
          "scalar": "String",
          "nullable": false,
          "list": true,
          "enumValues": null,
          "strategy": "SET",
          "patchFields": [
            {
              "name": "tagsAdd",
              "field": "tags",
              "role": "ADD",
              "graphqlType": "[String!]"
            },
            {
              "name": "tagsRemove",
              "field": "tags",
              "role": "REMOVE",
              "graphqlType": "[String!]"
            }
          ],
          "hasDefault": true,
          "defaultValue": [],
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "assigneeId",
          "description": null,
          "graphqlType": "ID",
          "typeName": "ID",
          "kind": "SCALAR",
          "scalar": "ID",
          "nullable": true,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "assigneeId",
              "field": "assigneeId",
              "role": "VALUE",
              "graphqlType": "ID"
            }
          ],
          "hasDefault": true,
          "defaultValue": null,
          "requiredOnCreate": false,
          "ref": null,
          "member": true,
          "owner": false
        },
        {
          "name": "dueAt",
          "description": null,
          "graphqlType": "DateTime",
          "typeName": "DateTime",
          "kind": "SCALAR",
          "scalar": "DateTime",
          "nullable": true,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "dueAt",
              "field": "dueAt",
              "role": "VALUE",
              "graphqlType": "DateTime"
            }
          ],
          "hasDefault": true,
          "defaultValue": null,
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "estimateMinutes",
          "description": null,
          "graphqlType": "Int",
          "typeName": "Int",
          "kind": "SCALAR",
          "scalar": "Int",
          "nullable": true,
          "list": false,
          "enumValues": null,
          "strategy": "MANUAL",
          "patchFields": [
            {
              "name": "estimateMinutes",
              "field": "estimateMinutes",
              "role": "VALUE",
              "graphqlType": "Int"
            }
          ],
          "hasDefault": true,
          "defaultValue": null,
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "timeSpentMinutes",
          "description": null,
          "graphqlType": "Int!",
          "typeName": "Int",
          "kind": "SCALAR",
          "scalar": "Int",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "COUNTER",
          "patchFields": [
            {
              "name": "timeSpentDelta",
              "field": "timeSpentMinutes",
              "role": "DELTA",
              "graphqlType": "Int"
            }
          ],
          "hasDefault": true,
          "defaultValue": 0,
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        },
        {
          "name": "sortKey",
          "description": null,
          "graphqlType": "String!",
          "typeName": "String",
          "kind": "SCALAR",
          "scalar": "String",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "sortKey",
              "field": "sortKey",
              "role": "VALUE",
              "graphqlType": "String"
            }
          ],
          "hasDefault": true,
          "defaultValue": "",
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": false
        }
      ]
    },
    {
      "name": "Comment",
      "description": null,
      "plural": "comments",
      "queryField": "comment",
      "changeInputKey": "comment",
      "entityType": "COMMENT",
      "patchInput": "CommentPatch",
      "ownerField": "authorId",
      "requiredOnCreate": [
        "taskId",
        "body"
      ],
      "fields": [
        {
          "name": "taskId",
          "description": null,
          "graphqlType": "ID!",
          "typeName": "ID",
          "kind": "SCALAR",
          "scalar": "ID",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "taskId",
              "field": "taskId",
              "role": "VALUE",
              "graphqlType": "ID"
            }
          ],
          "hasDefault": false,
          "defaultValue": null,
          "requiredOnCreate": true,
          "ref": "Task",
          "member": false,
          "owner": false
        },
        {
          "name": "authorId",
          "description": null,
          "graphqlType": "ID!",
          "typeName": "ID",
          "kind": "SCALAR",
          "scalar": "ID",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [],
          "hasDefault": false,
          "defaultValue": null,
          "requiredOnCreate": false,
          "ref": null,
          "member": false,
          "owner": true
        },
        {
          "name": "body",
          "description": null,
          "graphqlType": "String!",
          "typeName": "String",
          "kind": "SCALAR",
          "scalar": "String",
          "nullable": false,
          "list": false,
          "enumValues": null,
          "strategy": "LWW",
          "patchFields": [
            {
              "name": "body",
              "field": "body",
              "role": "VALUE",
              "graphqlType": "String"
            }
          ],
          "hasDefault": false,
          "defaultValue": null,
          "requiredOnCreate": true,
          "ref": null,
          "member": false,
          "owner": false
        }
      ]
    }
  ],
  "enums": [
    {
      "name": "TaskStatus",
      "values": [
        "TODO",
        "IN_PROGRESS",
        "DONE"
      ]
    }
  ]
});

/** Per typename: the fragment with every field and the `<queryField>(id:)` query. */
export const entityDocuments = {
  Project: { fragment: ProjectFieldsFragmentDoc, query: ProjectDocument },
  Task: { fragment: TaskFieldsFragmentDoc, query: TaskDocument },
  Comment: { fragment: CommentFieldsFragmentDoc, query: CommentDocument },
} as const;
