import { describe, expect, it } from 'vitest';
import { entityOfName } from '../../server/sync/model.ts';
import {
  limits,
  validateClientId,
  validateEntityId,
  validateHlcField,
  validateMutationId,
  validatePatch,
  validateUserId,
  validateWorkspaceName,
} from '../../server/sync/validation.ts';

// The default model's patches, validated from its description (model.graphql) as the engine does.
type Patch = Record<string, unknown>;
type Mode = 'create' | 'update';
const validateProjectPatch = (patch: Patch, mode: Mode) =>
  validatePatch(entityOfName('Project'), patch, mode);
const validateTaskPatch = (patch: Patch, mode: Mode) =>
  validatePatch(entityOfName('Task'), patch, mode);
const validateCommentPatch = (patch: Patch, mode: Mode) =>
  validatePatch(entityOfName('Comment'), patch, mode);

const NUL = '\u0000';
const LONE_HIGH = '\uD83D';
const LONE_LOW = '\uDE00';
const EMOJI = '😀'; // two UTF-16 units, one character

const problem = (field: string, message?: string) =>
  message === undefined ? expect.objectContaining({ field }) : { field, message };

describe('limits', () => {
  it('holds the documented platform numbers', () => {
    expect(limits).toMatchObject({
      idMaxLength: 64,
      mutationIdMaxLength: 128,
      clientIdMaxLength: 64,
      userIdMaxLength: 128,
      workspaceNameMaxLength: 200,
      intMin: -2_147_483_648,
      intMax: 2_147_483_647,
      jsonMaxLength: 100_000,
    });
    expect(new Date(limits.dateMinMillis).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(new Date(limits.dateMaxMillis).toISOString()).toBe('9999-12-31T23:59:59.999Z');
  });
});

describe('validateUserId and validateWorkspaceName', () => {
  it('checks user ids as @member fields are checked', () => {
    expect(validateUserId('actorId', 'auth0|5f1c')).toBeNull();
    expect(validateUserId('actorId', 'a\nb')).toEqual(
      problem('actorId', 'must be 1 to 128 characters without control characters'),
    );
    expect(validateUserId('actorId', `a${NUL}`)).toEqual(
      problem('actorId', 'must not contain NUL characters'),
    );
  });

  it('limits workspace names to 1..200 characters, not blank', () => {
    expect(validateWorkspaceName('Team')).toBeNull();
    expect(validateWorkspaceName(EMOJI.repeat(200))).toBeNull();
    expect(validateWorkspaceName(' ')).toEqual(problem('name', 'must not be blank'));
    expect(validateWorkspaceName('n'.repeat(201))).toEqual(
      problem('name', 'must be at most 200 characters'),
    );
    expect(validateWorkspaceName(`a${LONE_HIGH}`)).toEqual(
      problem('name', 'must not contain unpaired surrogate characters'),
    );
  });
});

describe('validateEntityId', () => {
  it.each([
    'a',
    'x'.repeat(64),
    '0190a5b4-7c3e-7d2a-9f1e-3b5c7d9e1f20', // UUIDv7
    '01ARZ3NDEKTSV4RRFFQ69G5FAV', // ULID
    'V1StGXR8_Z5jdHi6B-myT', // nanoid
  ])('accepts %s', (id) => {
    expect(validateEntityId(id)).toBeNull();
  });

  it.each([
    '',
    'x'.repeat(65),
    'has space',
    'not an id!',
    'dot.ted',
    'slash/ed',
    'ünïcode',
    `a${NUL}`,
    `a${LONE_HIGH}`,
  ])('rejects %j', (id) => {
    expect(validateEntityId(id)).toEqual(problem('id'));
  });

  it('names NUL and lone surrogates in its message', () => {
    expect(validateEntityId(`a${NUL}b`)).toEqual(problem('id', 'must not contain NUL characters'));
    expect(validateEntityId(`a${LONE_LOW}`)).toEqual(
      problem('id', 'must not contain unpaired surrogate characters'),
    );
    expect(validateEntityId('x'.repeat(65))).toEqual(
      problem('id', 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -'),
    );
  });

  it('rejects a non-string', () => {
    expect(validateEntityId(42 as unknown as string)).toEqual(problem('id', 'must be a string'));
  });
});

describe('validateClientId', () => {
  it('accepts 1..64 id characters', () => {
    expect(validateClientId('client-b')).toBeNull();
    expect(validateClientId('c'.repeat(64))).toBeNull();
  });

  it.each(['', 'c'.repeat(65), 'client b', `c${NUL}`, `c${LONE_HIGH}`])('rejects %j', (id) => {
    expect(validateClientId(id)).toEqual(problem('clientId'));
  });
});

describe('validateMutationId', () => {
  it('accepts 1..128 printable ASCII characters', () => {
    expect(validateMutationId('m')).toBeNull();
    expect(validateMutationId('m'.repeat(128))).toBeNull();
    expect(validateMutationId('client:42/retry#1')).toBeNull();
  });

  it.each(['', 'm'.repeat(129), 'with space', 'tab\t', 'é', `m${NUL}`, `m${LONE_LOW}`])(
    'rejects %j',
    (id) => {
      expect(validateMutationId(id)).toEqual(problem('mutationId'));
    },
  );

  it('says the limit', () => {
    expect(validateMutationId('m'.repeat(129))).toEqual(
      problem('mutationId', 'must be 1 to 128 printable ASCII characters without spaces'),
    );
  });
});

describe('validateHlcField', () => {
  it('accepts valid stamps', () => {
    expect(validateHlcField('1700000000000:0')).toBeNull();
    expect(validateHlcField(`0:${2 ** 31 - 1}`)).toBeNull();
  });

  it.each(['', 'yesterday', '1:', '-1:0', '1000000000000000:0', `1:${2 ** 31}`, `1:0${NUL}`])(
    'rejects %j',
    (hlc) => {
      expect(validateHlcField(hlc)).toEqual(problem('hlc'));
    },
  );
});

describe('validateProjectPatch', () => {
  it('requires a name on create', () => {
    expect(validateProjectPatch({}, 'create')).toEqual(problem('name', 'is required'));
    expect(validateProjectPatch({ name: undefined }, 'create')).toEqual(
      problem('name', 'is required'),
    );
    expect(validateProjectPatch({ name: 'Launch' }, 'create')).toBeNull();
  });

  it('does not require a name on update', () => {
    expect(validateProjectPatch({}, 'update')).toBeNull();
    expect(validateProjectPatch({ archived: true }, 'update')).toBeNull();
  });

  it('limits the name to 1..200 characters, not blank', () => {
    expect(validateProjectPatch({ name: 'n'.repeat(200) }, 'update')).toBeNull();
    expect(validateProjectPatch({ name: 'n'.repeat(201) }, 'update')).toEqual(
      problem('name', 'must be at most 200 characters'),
    );
    expect(validateProjectPatch({ name: '' }, 'update')).toEqual(
      problem('name', 'must not be blank'),
    );
    expect(validateProjectPatch({ name: ' \t\n' }, 'update')).toEqual(
      problem('name', 'must not be blank'),
    );
  });

  it('counts characters, not UTF-16 units', () => {
    expect(validateProjectPatch({ name: EMOJI.repeat(200) }, 'update')).toBeNull();
    expect(validateProjectPatch({ name: EMOJI.repeat(201) }, 'update')).toEqual(
      problem('name', 'must be at most 200 characters'),
    );
  });

  it('rejects NUL and lone surrogates in the name', () => {
    expect(validateProjectPatch({ name: `a${NUL}b` }, 'update')).toEqual(
      problem('name', 'must not contain NUL characters'),
    );
    expect(validateProjectPatch({ name: `a${LONE_HIGH}` }, 'update')).toEqual(
      problem('name', 'must not contain unpaired surrogate characters'),
    );
    expect(validateProjectPatch({ name: `${LONE_LOW}a` }, 'update')).toEqual(
      problem('name', 'must not contain unpaired surrogate characters'),
    );
    expect(validateProjectPatch({ name: `${LONE_LOW}${LONE_HIGH}` }, 'update')).toEqual(
      problem('name', 'must not contain unpaired surrogate characters'),
    );
  });

  it('rejects null for the name and for archived', () => {
    expect(validateProjectPatch({ name: null }, 'update')).toEqual(
      problem('name', 'must not be null'),
    );
    expect(validateProjectPatch({ name: null }, 'create')).toEqual(
      problem('name', 'must not be null'),
    );
    expect(validateProjectPatch({ archived: null }, 'update')).toEqual(
      problem('archived', 'must not be null'),
    );
  });

  it('accepts #RRGGBB colors and null to clear', () => {
    expect(validateProjectPatch({ color: '#112233' }, 'update')).toBeNull();
    expect(validateProjectPatch({ color: '#abcDEF' }, 'update')).toBeNull();
    expect(validateProjectPatch({ color: null }, 'update')).toBeNull();
  });

  it.each(['112233', '#12345', '#1234567', '#12345g', 'red', '#fff', ''])(
    'rejects the color %j',
    (color) => {
      expect(validateProjectPatch({ color }, 'update')).toEqual(
        problem('color', 'must be a #RRGGBB hex color'),
      );
    },
  );

  it('requires archived to be a boolean', () => {
    expect(validateProjectPatch({ archived: false }, 'update')).toBeNull();
    expect(validateProjectPatch({ archived: 'true' }, 'update')).toEqual(
      problem('archived', 'must be a boolean'),
    );
  });

  it('rejects unknown fields, but ignores undefined ones', () => {
    expect(validateProjectPatch({ name: 'x', owner: 'me' }, 'update')).toEqual(
      problem('owner', 'is not a field of ProjectPatch'),
    );
    expect(validateProjectPatch({ name: 'x', owner: undefined }, 'update')).toBeNull();
  });

  it('accepts a patch without a prototype (graphql-js builds inputs that way)', () => {
    const patch = Object.assign(Object.create(null) as Record<string, unknown>, { name: 'x' });
    expect(validateProjectPatch(patch, 'create')).toBeNull();
  });

  it('rejects a patch that is not an object', () => {
    expect(validateProjectPatch(null as unknown as Record<string, unknown>, 'update')).toEqual(
      problem('patch', 'must be an object'),
    );
  });

  it('reports the first problem in field order, whatever the key order', () => {
    const expected = problem('name', 'must not be blank');
    expect(validateProjectPatch({ name: '', color: 'red' }, 'update')).toEqual(expected);
    expect(validateProjectPatch({ color: 'red', name: '' }, 'update')).toEqual(expected);
  });
});

describe('validateTaskPatch', () => {
  const ok = (patch: Record<string, unknown>) =>
    expect(validateTaskPatch(patch, 'update')).toBeNull();
  const bad = (patch: Record<string, unknown>, field: string, message?: string) =>
    expect(validateTaskPatch(patch, 'update')).toEqual(problem(field, message));

  it('requires a title on create', () => {
    expect(validateTaskPatch({ notes: 'x' }, 'create')).toEqual(problem('title', 'is required'));
    expect(validateTaskPatch({ title: 'Write tests' }, 'create')).toBeNull();
  });

  it('accepts a complete valid patch', () => {
    expect(
      validateTaskPatch(
        {
          projectId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
          title: 'Ship it',
          notes: 'Long notes',
          status: 'IN_PROGRESS',
          priority: 3,
          tagsAdd: ['release', 'q3'],
          tagsRemove: ['later'],
          assigneeId: 'auth0|5f1c',
          dueAt: new Date('2030-06-01T12:00:00Z'),
          estimateMinutes: 90,
          timeSpentDelta: -15,
          sortKey: 'a0V',
        },
        'create',
      ),
    ).toBeNull();
  });

  it('limits the title to 1..200 characters, not blank', () => {
    ok({ title: 't'.repeat(200) });
    bad({ title: 't'.repeat(201) }, 'title', 'must be at most 200 characters');
    bad({ title: '' }, 'title', 'must not be blank');
    bad({ title: '   ' }, 'title', 'must not be blank');
    bad({ title: null }, 'title', 'must not be null');
    bad({ title: `a${NUL}` }, 'title', 'must not contain NUL characters');
    bad({ title: `a${LONE_HIGH}b` }, 'title', 'must not contain unpaired surrogate characters');
  });

  it('limits notes to 100,000 characters and allows them empty', () => {
    ok({ notes: '' });
    ok({ notes: 'n'.repeat(100_000) });
    ok({ notes: EMOJI.repeat(100_000) });
    bad({ notes: 'n'.repeat(100_001) }, 'notes', 'must be at most 100000 characters');
    bad({ notes: null }, 'notes', 'must not be null');
    bad({ notes: `line${NUL}` }, 'notes', 'must not contain NUL characters');
    bad({ notes: `${'n'.repeat(50_000)}${LONE_LOW}` }, 'notes');
  });

  it('accepts only the three statuses', () => {
    ok({ status: 'TODO' });
    ok({ status: 'IN_PROGRESS' });
    ok({ status: 'DONE' });
    bad({ status: 'done' }, 'status', 'must be one of TODO, IN_PROGRESS, DONE');
    bad({ status: 'ARCHIVED' }, 'status');
    bad({ status: null }, 'status', 'must not be null');
  });

  it('limits priority to an integer from 0 to 5', () => {
    ok({ priority: 0 });
    ok({ priority: 5 });
    bad({ priority: -1 }, 'priority', 'must be an integer from 0 to 5');
    bad({ priority: 6 }, 'priority', 'must be an integer from 0 to 5');
    bad({ priority: 2.5 }, 'priority');
    bad({ priority: Number.NaN }, 'priority');
    bad({ priority: '3' }, 'priority');
    bad({ priority: null }, 'priority', 'must not be null');
  });

  it('limits estimateMinutes to 0..1,000,000 and lets null clear it', () => {
    ok({ estimateMinutes: 0 });
    ok({ estimateMinutes: 1_000_000 });
    ok({ estimateMinutes: null });
    bad({ estimateMinutes: -1 }, 'estimateMinutes', 'must be an integer from 0 to 1000000');
    bad({ estimateMinutes: 1_000_001 }, 'estimateMinutes');
    bad({ estimateMinutes: 1.5 }, 'estimateMinutes');
  });

  it('requires timeSpentDelta to be a non-zero integer within ±100,000', () => {
    ok({ timeSpentDelta: 1 });
    ok({ timeSpentDelta: -1 });
    ok({ timeSpentDelta: 100_000 });
    ok({ timeSpentDelta: -100_000 });
    const message = 'must be a non-zero integer from -100000 to 100000';
    bad({ timeSpentDelta: 0 }, 'timeSpentDelta', message);
    bad({ timeSpentDelta: 100_001 }, 'timeSpentDelta', message);
    bad({ timeSpentDelta: -100_001 }, 'timeSpentDelta', message);
    bad({ timeSpentDelta: 0.5 }, 'timeSpentDelta', message);
    bad({ timeSpentDelta: null }, 'timeSpentDelta', 'must not be null');
  });

  it('limits sortKey to 200 printable ASCII characters, empty allowed', () => {
    ok({ sortKey: '' });
    ok({ sortKey: 's'.repeat(200) });
    ok({ sortKey: 'a0 ~!' });
    bad({ sortKey: 's'.repeat(201) }, 'sortKey', 'must be at most 200 characters');
    bad({ sortKey: 'é' }, 'sortKey', 'must contain only printable ASCII characters');
    bad({ sortKey: 'a\nb' }, 'sortKey', 'must contain only printable ASCII characters');
    bad({ sortKey: `a${NUL}` }, 'sortKey', 'must not contain NUL characters');
    bad({ sortKey: null }, 'sortKey', 'must not be null');
  });

  it('accepts dueAt dates within 1970..9999 and null to clear', () => {
    ok({ dueAt: new Date(limits.dateMinMillis) });
    ok({ dueAt: new Date(limits.dateMaxMillis) });
    ok({ dueAt: null });
    const message = 'must be between 1970-01-01 and 9999-12-31 (UTC)';
    bad({ dueAt: new Date(limits.dateMinMillis - 1) }, 'dueAt', message);
    bad({ dueAt: new Date(limits.dateMaxMillis + 1) }, 'dueAt', message);
    bad({ dueAt: new Date('not a date') }, 'dueAt', 'must be a valid date');
    bad({ dueAt: '2030-01-01T00:00:00Z' }, 'dueAt', 'must be a valid date');
    bad({ dueAt: 1_900_000_000_000 }, 'dueAt', 'must be a valid date');
  });

  it('accepts ids for projectId and null to clear it', () => {
    ok({ projectId: 'p1' });
    ok({ projectId: null });
    bad({ projectId: '' }, 'projectId');
    bad({ projectId: 'p'.repeat(65) }, 'projectId');
    bad({ projectId: 'has space' }, 'projectId');
  });

  it('accepts user ids (JWT subjects) for assigneeId and null to clear it', () => {
    ok({ assigneeId: 'auth0|5f1c' });
    ok({ assigneeId: 'ann@example.com' });
    ok({ assigneeId: 'u'.repeat(128) });
    ok({ assigneeId: null });
    const message = 'must be 1 to 128 characters without control characters';
    bad({ assigneeId: '' }, 'assigneeId', message);
    bad({ assigneeId: 'u'.repeat(129) }, 'assigneeId', message);
    bad({ assigneeId: 'a\nb' }, 'assigneeId', message);
    bad({ assigneeId: `a${NUL}` }, 'assigneeId', 'must not contain NUL characters');
    bad(
      { assigneeId: `a${LONE_HIGH}` },
      'assigneeId',
      'must not contain unpaired surrogate characters',
    );
  });

  describe('tags', () => {
    it('accepts up to 50 tags of up to 50 characters', () => {
      const fifty = Array.from({ length: 50 }, (_, index) => `tag${index}`);
      ok({ tagsAdd: fifty });
      ok({ tagsRemove: fifty });
      ok({ tagsAdd: ['t'.repeat(50)] });
      ok({ tagsAdd: [EMOJI.repeat(50)] });
      ok({ tagsAdd: ['two words', 'émoji 🎉'] });
      ok({ tagsAdd: [] });
    });

    it('rejects more than 50 entries in one operation', () => {
      const many = Array.from({ length: 51 }, (_, index) => `tag${index}`);
      bad({ tagsAdd: many }, 'tagsAdd', 'must contain at most 50 tags');
      bad({ tagsRemove: many }, 'tagsRemove', 'must contain at most 50 tags');
    });

    it('rejects tags that are too long, blank, padded or contain control characters', () => {
      bad({ tagsAdd: ['t'.repeat(51)] }, 'tagsAdd', 'each tag must be at most 50 characters');
      bad({ tagsAdd: [EMOJI.repeat(51)] }, 'tagsAdd', 'each tag must be at most 50 characters');
      bad({ tagsAdd: [''] }, 'tagsAdd', 'each tag must not be blank');
      bad({ tagsAdd: ['  '] }, 'tagsAdd', 'each tag must not be blank');
      bad({ tagsAdd: ['bug '] }, 'tagsAdd', 'each tag must not start or end with whitespace');
      bad({ tagsRemove: [' bug'] }, 'tagsRemove', 'each tag must not start or end with whitespace');
      bad({ tagsAdd: ['a\nb'] }, 'tagsAdd', 'each tag must not contain control characters');
      bad({ tagsAdd: [`a${NUL}`] }, 'tagsAdd', 'each tag must not contain NUL characters');
      bad(
        { tagsAdd: [`a${LONE_LOW}`] },
        'tagsAdd',
        'each tag must not contain unpaired surrogate characters',
      );
      bad({ tagsAdd: [1] }, 'tagsAdd', 'each tag must be a string');
      bad({ tagsAdd: 'bug' }, 'tagsAdd', 'must be a list of tags');
    });

    it('rejects null tag operations (omit the field instead)', () => {
      bad({ tagsAdd: null }, 'tagsAdd', 'must not be null');
      bad({ tagsRemove: null }, 'tagsRemove', 'must not be null');
    });

    it('rejects the same tag in tagsAdd and tagsRemove', () => {
      bad(
        { tagsAdd: ['a', 'b'], tagsRemove: ['c', 'b'] },
        'tagsRemove',
        'must not contain a tag that is also in tagsAdd',
      );
      ok({ tagsAdd: ['a'], tagsRemove: ['A'] });
    });
  });

  it('rejects fields of other patch types and entity-only fields', () => {
    bad({ name: 'x' }, 'name', 'is not a field of TaskPatch');
    bad({ tags: ['x'] }, 'tags', 'is not a field of TaskPatch');
    bad({ timeSpentMinutes: 5 }, 'timeSpentMinutes', 'is not a field of TaskPatch');
  });
});

describe('validateCommentPatch', () => {
  it('requires taskId and body on create, taskId first', () => {
    expect(validateCommentPatch({}, 'create')).toEqual(problem('taskId', 'is required'));
    expect(validateCommentPatch({ body: 'hi' }, 'create')).toEqual(
      problem('taskId', 'is required'),
    );
    expect(validateCommentPatch({ taskId: 't1' }, 'create')).toEqual(
      problem('body', 'is required'),
    );
    expect(validateCommentPatch({ taskId: 't1', body: 'hi' }, 'create')).toBeNull();
  });

  it('requires neither on update', () => {
    expect(validateCommentPatch({}, 'update')).toBeNull();
    expect(validateCommentPatch({ body: 'edited' }, 'update')).toBeNull();
  });

  it('limits the body to 1..20,000 characters, not blank', () => {
    expect(validateCommentPatch({ body: 'b'.repeat(20_000) }, 'update')).toBeNull();
    expect(validateCommentPatch({ body: 'b'.repeat(20_001) }, 'update')).toEqual(
      problem('body', 'must be at most 20000 characters'),
    );
    expect(validateCommentPatch({ body: '' }, 'update')).toEqual(
      problem('body', 'must not be blank'),
    );
    expect(validateCommentPatch({ body: '\n\n' }, 'update')).toEqual(
      problem('body', 'must not be blank'),
    );
    expect(validateCommentPatch({ body: `x${NUL}` }, 'update')).toEqual(
      problem('body', 'must not contain NUL characters'),
    );
    expect(validateCommentPatch({ body: `x${LONE_HIGH}` }, 'update')).toEqual(
      problem('body', 'must not contain unpaired surrogate characters'),
    );
  });

  it('rejects null for taskId and body', () => {
    expect(validateCommentPatch({ taskId: null }, 'update')).toEqual(
      problem('taskId', 'must not be null'),
    );
    expect(validateCommentPatch({ body: null }, 'update')).toEqual(
      problem('body', 'must not be null'),
    );
  });

  it('requires taskId to be an id', () => {
    expect(validateCommentPatch({ taskId: 'bad id', body: 'x' }, 'create')).toEqual(
      problem('taskId', 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -'),
    );
  });

  it('rejects unknown fields', () => {
    expect(validateCommentPatch({ authorId: 'me' }, 'update')).toEqual(
      problem('authorId', 'is not a field of CommentPatch'),
    );
  });
});
