import { fieldKey } from '../../../../src/shared/campaign';
import { DEFAULT_FIELDS_LIMIT, FIELD_TYPES, MAX_SUBSCRIBERS_LIMIT, notFoundMessage } from '../facts';
import type { FieldType } from '../facts';
import { lengthAwarePage } from '../pagination';
import type { ApiResponse, Handler, HandlerContext } from '../router';
import { fieldJson } from '../serializers';
import type { Field } from '../state';
import { ValidationErrors, characterLength, isPlainObject, rule } from '../validation';
import { limitParam, pageParam, sortParam } from './list-params';
import { NOT_FOUND_INDENT } from './subscribers';

const MAX_NAME_LENGTH = 255;

const fieldNotFound = (id: string): ApiResponse => ({
  status: 404,
  body: { message: notFoundMessage.field(id) },
  indent: NOT_FOUND_INDENT,
});

/**
 * A name is taken when another field has it (any case) or would get the same key; how the real API
 * handles a key clash between different names is *unconfirmed*.
 */
function nameTaken(ctx: HandlerContext, name: string, self?: Field): boolean {
  const key = fieldKey(name);
  return ctx.state.fields.some(
    (f) => f !== self && (f.name.toLowerCase() === name.toLowerCase() || f.key === key),
  );
}

function validateName(ctx: HandlerContext, name: unknown, errors: ValidationErrors, self?: Field): void {
  if (typeof name !== 'string' || name.trim() === '') errors.add('name', rule.required('name'));
  else if (characterLength(name) > MAX_NAME_LENGTH)
    errors.add('name', rule.maxString('name', MAX_NAME_LENGTH));
  else if (fieldKey(name) === '') errors.add('name', rule.regex('name'));
  else if (nameTaken(ctx, name, self)) errors.add('name', rule.unique('name'));
}

/** `GET /api/fields`: ID order by default; `filter[keyword]` matches part of the name, `filter[type]` the type. */
export const listFields: Handler = (req, ctx) => {
  const keyword = req.query.get('filter[keyword]')?.toLowerCase();
  const type = req.query.get('filter[type]');
  let fields = [...ctx.state.fields];
  if (keyword) {
    fields = fields.filter((f) => f.name.toLowerCase().includes(keyword) || f.key.includes(keyword));
  }
  if (type) fields = fields.filter((f) => f.type === type);
  const sort = sortParam(req.query, ['name', 'type']);
  if (sort) {
    const value = (f: Field): string => (sort.key === 'name' ? f.name.toLowerCase() : f.type);
    fields.sort((a, b) => (sort.desc ? -1 : 1) * value(a).localeCompare(value(b)));
  }
  const limit = limitParam(req.query, DEFAULT_FIELDS_LIMIT, MAX_SUBSCRIBERS_LIMIT) || DEFAULT_FIELDS_LIMIT;
  const data = fields.map((f) => fieldJson(f, { inList: true }));
  return {
    status: 200,
    body: lengthAwarePage(data, pageParam(req.query), limit, `${ctx.baseUrl}/api/fields`),
  };
};

/** `POST /api/fields {name, type}`: the key is derived from the name and never changes afterwards. */
export const createField: Handler = (req, ctx) => {
  const body = isPlainObject(req.body) ? req.body : {};
  const errors = new ValidationErrors();
  validateName(ctx, body.name, errors);
  if (typeof body.type !== 'string' || body.type === '') errors.add('type', rule.required('type'));
  else if (!FIELD_TYPES.includes(body.type as FieldType)) errors.add('type', rule.in('type'));
  if (!errors.isEmpty) return errors.toResponse();
  const name = body.name as string;
  const field = ctx.state.createField(name, fieldKey(name), body.type as FieldType);
  return { status: 201, body: { data: fieldJson(field, { inList: false }) } };
};

/** `PUT /api/fields/{id} {name}` renames; the key stays (cassette fields-update.yml). */
export const updateField: Handler = (req, ctx) => {
  const field = ctx.state.fields.find((f) => f.id === req.params.id);
  if (!field) return fieldNotFound(req.params.id ?? '');
  const body = isPlainObject(req.body) ? req.body : {};
  const errors = new ValidationErrors();
  validateName(ctx, body.name, errors, field);
  if (!errors.isEmpty) return errors.toResponse();
  field.name = body.name as string;
  return { status: 200, body: { data: fieldJson(field, { inList: false }) } };
};

/** Default fields cannot be deleted (*unconfirmed* how the real API refuses; here a 422). */
export const deleteField: Handler = (req, ctx) => {
  const field = ctx.state.fields.find((f) => f.id === req.params.id);
  if (!field) return fieldNotFound(req.params.id ?? '');
  if (field.isDefault) {
    const errors = new ValidationErrors();
    errors.add('field', 'Default fields cannot be deleted.');
    return errors.toResponse();
  }
  ctx.state.deleteField(field);
  return { status: 204 };
};
