import * as Operations from './graphql.ts';
import * as Urql from 'urql';
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;


export function useProjectQuery(options: Omit<Urql.UseQueryArgs<Operations.ProjectQueryVariables>, 'query'>) {
  return Urql.useQuery<Operations.ProjectQuery, Operations.ProjectQueryVariables>({ query: Operations.ProjectDocument, ...options });
};

export function useTaskQuery(options: Omit<Urql.UseQueryArgs<Operations.TaskQueryVariables>, 'query'>) {
  return Urql.useQuery<Operations.TaskQuery, Operations.TaskQueryVariables>({ query: Operations.TaskDocument, ...options });
};

export function useCommentQuery(options: Omit<Urql.UseQueryArgs<Operations.CommentQueryVariables>, 'query'>) {
  return Urql.useQuery<Operations.CommentQuery, Operations.CommentQueryVariables>({ query: Operations.CommentDocument, ...options });
};

export function usePushChangesMutation() {
  return Urql.useMutation<Operations.PushChangesMutation, Operations.PushChangesMutationVariables>(Operations.PushChangesDocument);
};

export function useResolveConflictMutation() {
  return Urql.useMutation<Operations.ResolveConflictMutation, Operations.ResolveConflictMutationVariables>(Operations.ResolveConflictDocument);
};

export function useCreateWorkspaceMutation() {
  return Urql.useMutation<Operations.CreateWorkspaceMutation, Operations.CreateWorkspaceMutationVariables>(Operations.CreateWorkspaceDocument);
};

export function useAddMemberMutation() {
  return Urql.useMutation<Operations.AddMemberMutation, Operations.AddMemberMutationVariables>(Operations.AddMemberDocument);
};

export function useWorkspacesQuery(options?: Omit<Urql.UseQueryArgs<Operations.WorkspacesQueryVariables>, 'query'>) {
  return Urql.useQuery<Operations.WorkspacesQuery, Operations.WorkspacesQueryVariables>({ query: Operations.WorkspacesDocument, ...options });
};

export function useChangesSinceQuery(options: Omit<Urql.UseQueryArgs<Operations.ChangesSinceQueryVariables>, 'query'>) {
  return Urql.useQuery<Operations.ChangesSinceQuery, Operations.ChangesSinceQueryVariables>({ query: Operations.ChangesSinceDocument, ...options });
};

export function useConflictsQuery(options: Omit<Urql.UseQueryArgs<Operations.ConflictsQueryVariables>, 'query'>) {
  return Urql.useQuery<Operations.ConflictsQuery, Operations.ConflictsQueryVariables>({ query: Operations.ConflictsDocument, ...options });
};

export function useEntityChangedSubscription<TData = Operations.EntityChangedSubscription>(options: Omit<Urql.UseSubscriptionArgs<Operations.EntityChangedSubscriptionVariables>, 'query'>, handler?: Urql.SubscriptionHandler<Operations.EntityChangedSubscription, TData>) {
  return Urql.useSubscription<Operations.EntityChangedSubscription, TData, Operations.EntityChangedSubscriptionVariables>({ query: Operations.EntityChangedDocument, ...options }, handler);
};

export function useConflictChangedSubscription<TData = Operations.ConflictChangedSubscription>(options: Omit<Urql.UseSubscriptionArgs<Operations.ConflictChangedSubscriptionVariables>, 'query'>, handler?: Urql.SubscriptionHandler<Operations.ConflictChangedSubscription, TData>) {
  return Urql.useSubscription<Operations.ConflictChangedSubscription, TData, Operations.ConflictChangedSubscriptionVariables>({ query: Operations.ConflictChangedDocument, ...options }, handler);
};