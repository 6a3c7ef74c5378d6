"""TransactWriteItems for moto that checks every item before it writes anything.

Stock moto (5.2.5) deep-copies each table a transaction touches (stream records included, and
the copies are never freed), applies the writes one by one, and restores the copy when a later
item fails. Measured on the deliveries table: 9 GB of memory after one test suite, calls slowing
down to seconds, and stream records emitted for writes that were rolled back (an iterator opened
before the transaction keeps reading the replaced shard: a projector then sees events that were
never appended, and none of the later ones). AWS does neither.

Every DynamoDB request already runs alone (moto_server.SerialisedDynamoDb), so a transaction can
check all its items first and write only if they all pass: nothing to roll back for a failed
condition, no copy, no stream record. Each item is checked, in order, against the current state
(no item is named twice, so no write of the transaction could have changed it):
- its key: a missing key attribute ValidationException, the same item twice (by table name or
  ARN) MultipleTransactionsException, an unknown table ResourceNotFoundException (moto answers
  that for a Put or an Update already; stock moto cancels a Delete or a ConditionCheck on it);
- its condition, with ReturnValuesOnConditionCheckFailure;
- if the condition holds, its write, tried on a copy of the item (update expression and its
  operand types, key and attribute types, item size), so that the ValidationException moto would
  have raised while writing comes before the first write, whatever the other items' conditions.
Validation errors reject the request; a failed condition or another error of an item cancels the
transaction with moto's cancellation reasons ("None" for the other items, in order).

Should a write still fail after the checks, the writes already made are undone item by item
from an undo log and the stream records they emitted are dropped, as moto's rollback would have
done, without replacing the table or its stream shard (earlier stream iterators stay valid).
"""

import copy

from moto.dynamodb.exceptions import (
    InvalidAttributeTypeError,
    ItemSizeTooLarge,
    ItemSizeToUpdateTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    ResourceNotFoundException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.parsing.executors import UpdateExpressionExecutor
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.parsing.validators import UpdateExpressionValidator

OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
PASSED = (None, None, None)


def _key_of(table, op_type, op):
    """The item's key: `Key`, or the key attributes of a Put's `Item` (as moto's put_item says)."""
    if op_type != "Put":
        return op["Key"]
    attrs = op["Item"]
    key = {}
    for name in (table.hash_key_attr, table.range_key_attr):
        if name is None:
            continue
        if name not in attrs:
            raise MockValidationException(
                f"One or more parameter values were invalid: Missing the key {name} in the item"
            )
        key[name] = attrs[name]
    return key


def _check_condition(op, current):
    """The item's condition against its current state: None, or the failure to report."""
    condition = op.get("ConditionExpression")
    if condition is None:
        return None
    holds = get_filter_expression(
        condition,
        op.get("ExpressionAttributeNames"),
        op.get("ExpressionAttributeValues"),
    ).expr(current)
    if holds:
        return None
    old = None
    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
        old = current.to_json()["Attributes"]
    return ("ConditionalCheckFailed", "The conditional request failed", old)


def _check_put(table, slot, attrs):
    """Raises what moto's Table.put_item would raise for these attributes, writing nothing."""
    hash_value, range_value = slot
    if hash_value.type != table.hash_key_type:
        raise InvalidAttributeTypeError(
            table.hash_key_attr, expected_type=table.hash_key_type, actual_type=hash_value.type
        )
    if range_value is not None and range_value.type != table.range_key_type:
        raise InvalidAttributeTypeError(
            table.range_key_attr, expected_type=table.range_key_type, actual_type=range_value.type
        )
    table._validate_item_types(attrs)
    table._validate_key_sizes(attrs)
    Item(hash_value, range_value, attrs)  # ItemSizeTooLarge


def _check_update(table, op, slot, current):
    """Applies the update expression to a copy of the item, as moto's update_item would."""
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    expression = UpdateExpressionParser.make(op["UpdateExpression"])
    hash_value, range_value = slot
    if current is None:
        # update_item validates against an empty item, then creates the item with its key.
        UpdateExpressionValidator(
            expression,
            expression_attribute_names=names,
            expression_attribute_values=values,
            item=Item(hash_value, range_value, attrs={}),
            table=table,
        ).validate()
        attrs = {table.hash_key_attr: op["Key"][table.hash_key_attr]}
        if range_value is not None:
            attrs[table.range_key_attr] = op["Key"][table.range_key_attr]
        _check_put(table, slot, attrs)
        item = Item(hash_value, range_value, attrs)
    else:
        item = copy.deepcopy(current)
    validated = UpdateExpressionValidator(
        expression,
        expression_attribute_names=names,
        expression_attribute_values=values,
        item=item,
        table=table,
    ).validate()
    validated.normalize()
    try:
        UpdateExpressionExecutor(validated, item, names).execute()
    except ItemSizeTooLarge:
        raise ItemSizeToUpdateTooLarge()


def _check_item(backend, op_type, op, targets):
    """(table, slot, failure or PASSED); raises the errors that reject the whole request."""
    table = backend.get_table(op["TableName"])
    # Missing key attributes: moto's "Validation Exception", before the item is looked up.
    slot = backend.get_keys_value(table, _key_of(table, op_type, op))
    # One operation per item; the table's name, not the TableName given (a name or an ARN).
    target = (table.name, slot)
    if target in targets:
        raise MultipleTransactionsException()
    targets.add(target)
    current = table.get_item(*slot)
    failure = _check_condition(op, current)
    if failure is None:
        if op_type == "Put":
            _check_put(table, slot, op["Item"])
        elif op_type == "Update":
            _check_update(table, op, slot, current)
    return table, slot, failure or PASSED


def _restore(table, slot, old_item):
    """Puts back one item as it was, without a stream record (the write is being undone)."""
    hash_value, range_value = slot
    if range_value is None:
        if old_item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = old_item
        return
    if old_item is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = old_item


def _write(backend, op_type, op, table, slot):
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(
            op["TableName"],
            op["Item"],
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Delete":
        table.delete_item(*slot)
    else:
        backend.update_item(
            op["TableName"],
            op["Key"],
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names,
            expression_attribute_values=values,
        )


def transact_write_items(self, transact_items):
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    targets = set()
    planned = []
    errors = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        try:
            if op_type not in OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table, slot, failure = _check_item(self, op_type, op, targets)
        except (MockValidationException, ResourceNotFoundException):
            raise
        except Exception as error:  # noqa: BLE001  moto reports any other failure as a cancellation
            errors.append((type(error).__name__, str(error), None))
            continue
        errors.append(failure)
        planned.append((op_type, op, table, slot))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    # Not expected to be needed (every write was tried above): an undo log, and how many stream
    # records each table had, to put everything back should a write fail anyway.
    undo = []
    streams = {}
    for _, _, table, _ in planned:
        if table.stream_shard is not None:
            streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
    position = 0
    try:
        for position, (op_type, op, table, slot) in enumerate(planned):
            if op_type == "ConditionCheck":
                continue
            undo.append((table, slot, copy.deepcopy(table.get_item(*slot))))
            _write(self, op_type, op, table, slot)
    except Exception as error:
        for table, slot, old_item in reversed(undo):
            _restore(table, slot, old_item)
        for shard, count in streams.values():
            del shard.items[count:]
        if isinstance(error, MockValidationException):
            raise
        errors = [PASSED] * len(transact_items)
        errors[position] = (type(error).__name__, str(error), None)
        raise TransactionCanceledException(errors) from error


def install():
    DynamoDBBackend.transact_write_items = transact_write_items
