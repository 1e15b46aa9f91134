// Form fields on React Aria Components: each has a visible label tied to its input, an optional
// description, and shows the error the API reported for it (Form's validationErrors, by `name`).
import { createContext, useContext, type ComponentProps, type ReactNode, type Ref } from 'react';
import {
  Button,
  Checkbox,
  ComboBox,
  FieldError,
  Form,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  NumberField,
  Group,
  Popover,
  Radio,
  RadioGroup,
  Select,
  SelectValue,
  Text,
  TextArea,
  TextField,
  type Key,
} from 'react-aria-components';

const ErrorsContext = createContext<Record<string, string>>({});

/**
 * A form whose fields show the errors the API reported for them (by `name`). They stay until the
 * next submit: an error that vanished on blur would move the Save button under the pointer.
 */
export function ApiForm(
  props: Omit<ComponentProps<typeof Form>, 'validationErrors'> & { errors?: Record<string, string> },
) {
  const { errors = {}, ...rest } = props;
  return (
    <ErrorsContext.Provider value={errors}>
      <Form {...rest} validationBehavior="aria" />
    </ErrorsContext.Provider>
  );
}

/** Errors for fields outside an ApiForm of their own (a part of a form that calls the API alone). */
export function FieldErrors(props: { errors: Record<string, string>; children: ReactNode }) {
  return <ErrorsContext.Provider value={props.errors}>{props.children}</ErrorsContext.Provider>;
}

/** The API's error for the field of this name, if any. */
function useFieldError(name: string | undefined): { isInvalid: boolean; error: string | undefined } {
  const error = useContext(ErrorsContext)[name ?? ''];
  return { isInvalid: Boolean(error), error };
}

interface FieldBase {
  label: string;
  name?: string;
  description?: ReactNode;
  isDisabled?: boolean;
  isRequired?: boolean;
}

export function TextInput(
  props: FieldBase & {
    value: string;
    onChange: (value: string) => void;
    type?: 'text' | 'email' | 'tel' | 'password' | 'time' | 'date' | 'search' | 'url';
    placeholder?: string;
    autoComplete?: string;
    autoFocus?: boolean;
  },
) {
  const { isInvalid, error } = useFieldError(props.name);
  return (
    <TextField
      className="field"
      isInvalid={isInvalid}
      name={props.name}
      value={props.value}
      onChange={props.onChange}
      type={props.type ?? 'text'}
      isDisabled={props.isDisabled}
      isRequired={props.isRequired}
      autoComplete={props.autoComplete}
      autoFocus={props.autoFocus}
    >
      <Label>{props.label}</Label>
      <Input placeholder={props.placeholder} />
      {props.description && <Text slot="description">{props.description}</Text>}
      <FieldError>{error}</FieldError>
    </TextField>
  );
}

export function TextAreaInput({
  textAreaRef,
  ...props
}: FieldBase & {
  value: string;
  onChange: (value: string) => void;
  rows?: number;
  /** The textarea itself (e.g. to insert text at its caret). */
  textAreaRef?: Ref<HTMLTextAreaElement>;
}) {
  const { isInvalid, error } = useFieldError(props.name);
  return (
    <TextField
      className="field"
      isInvalid={isInvalid}
      name={props.name}
      value={props.value}
      onChange={props.onChange}
      isDisabled={props.isDisabled}
      isRequired={props.isRequired}
    >
      <Label>{props.label}</Label>
      <TextArea rows={props.rows ?? 4} ref={textAreaRef} />
      {props.description && <Text slot="description">{props.description}</Text>}
      <FieldError>{error}</FieldError>
    </TextField>
  );
}

export function NumberInput(
  props: FieldBase & { value: number; onChange: (value: number) => void; minValue?: number; maxValue?: number },
) {
  const { isInvalid, error } = useFieldError(props.name);
  return (
    <NumberField
      isInvalid={isInvalid}
      className="field"
      name={props.name}
      value={props.value}
      onChange={(v) => props.onChange(Number.isNaN(v) ? 0 : v)}
      minValue={props.minValue}
      maxValue={props.maxValue}
      isDisabled={props.isDisabled}
      isRequired={props.isRequired}
      formatOptions={{ maximumFractionDigits: 0, useGrouping: false }}
    >
      <Label>{props.label}</Label>
      <Group className="number-group">
        <Button slot="decrement" aria-label={`Decrease ${props.label}`}>
          −
        </Button>
        <Input />
        <Button slot="increment" aria-label={`Increase ${props.label}`}>
          +
        </Button>
      </Group>
      {props.description && <Text slot="description">{props.description}</Text>}
      <FieldError>{error}</FieldError>
    </NumberField>
  );
}

export interface Option {
  id: string;
  label: string;
  description?: string;
}

export function SelectInput(
  props: FieldBase & {
    options: Option[];
    value: string | null;
    onChange: (value: string) => void;
    placeholder?: string;
  },
) {
  const { isInvalid, error } = useFieldError(props.name);
  return (
    <Select
      isInvalid={isInvalid}
      className="field"
      name={props.name}
      selectedKey={props.value}
      onSelectionChange={(key: Key | null) => key !== null && props.onChange(String(key))}
      isDisabled={props.isDisabled}
      isRequired={props.isRequired}
      placeholder={props.placeholder ?? 'Select…'}
    >
      <Label>{props.label}</Label>
      <Button className="select-button">
        <SelectValue>{({ selectedText, defaultChildren }) => selectedText || defaultChildren}</SelectValue>
        <span aria-hidden="true">▾</span>
      </Button>
      {props.description && <Text slot="description">{props.description}</Text>}
      <FieldError>{error}</FieldError>
      <Popover className="popover">
        <ListBox className="listbox" items={props.options}>
          {(option) => (
            <ListBoxItem className="option" id={option.id} textValue={option.label}>
              <Text slot="label">{option.label}</Text>
              {option.description && <Text slot="description">{option.description}</Text>}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </Select>
  );
}

/** A searchable choice: typing filters the options (or, with onInputChange, asks the server). */
export function ComboBoxInput(
  props: FieldBase & {
    options: Option[];
    value: string | null;
    onChange: (value: string | null) => void;
    /** Server search: the typed text (controlled), and where to send it. */
    inputValue?: string;
    onInputChange?: (text: string) => void;
    placeholder?: string;
  },
) {
  const { isInvalid, error } = useFieldError(props.name);
  return (
    <ComboBox
      isInvalid={isInvalid}
      className="field"
      name={props.name}
      selectedKey={props.value}
      onSelectionChange={(key: Key | null) => props.onChange(key === null ? null : String(key))}
      inputValue={props.inputValue}
      onInputChange={props.onInputChange}
      defaultItems={props.onInputChange ? undefined : props.options}
      items={props.onInputChange ? props.options : undefined}
      // Server search: the list stays open while the answer for what was typed arrives.
      allowsEmptyCollection={Boolean(props.onInputChange)}
      isDisabled={props.isDisabled}
      isRequired={props.isRequired}
      menuTrigger="focus"
    >
      <Label>{props.label}</Label>
      <div className="combobox-group">
        <Input placeholder={props.placeholder} />
        <Button aria-label={`Show ${props.label} options`}>▾</Button>
      </div>
      {props.description && <Text slot="description">{props.description}</Text>}
      <FieldError>{error}</FieldError>
      <Popover className="popover">
        <ListBox<Option> className="listbox" renderEmptyState={() => <p className="empty">No matches</p>}>
          {(option) => (
            <ListBoxItem className="option" id={option.id} textValue={option.label}>
              {option.label}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </ComboBox>
  );
}

export function CheckboxInput(
  props: Omit<FieldBase, 'label'> & {
    children: ReactNode;
    value: boolean;
    onChange: (value: boolean) => void;
    'aria-describedby'?: string;
  },
) {
  return (
    <Checkbox
      className="checkbox"
      aria-describedby={props['aria-describedby']}
      name={props.name}
      isSelected={props.value}
      onChange={props.onChange}
      isDisabled={props.isDisabled}
    >
      <span className="box" aria-hidden="true">
        <svg viewBox="0 0 18 18">
          <polyline points="2 9 7 14 16 4" />
        </svg>
      </span>
      {props.children}
    </Checkbox>
  );
}

export function RadioInput(props: FieldBase & { options: Option[]; value: string; onChange: (value: string) => void }) {
  const { isInvalid, error } = useFieldError(props.name);
  return (
    <RadioGroup
      isInvalid={isInvalid}
      className="field radio-group"
      name={props.name}
      value={props.value}
      onChange={props.onChange}
      isDisabled={props.isDisabled}
      isRequired={props.isRequired}
    >
      <Label>{props.label}</Label>
      {props.options.map((option) => (
        <Radio key={option.id} value={option.id} className="radio">
          <span className="dot" aria-hidden="true" />
          <span>
            {option.label}
            {option.description && <span className="radio-description">{option.description}</span>}
          </span>
        </Radio>
      ))}
      {props.description && <Text slot="description">{props.description}</Text>}
      <FieldError>{error}</FieldError>
    </RadioGroup>
  );
}

/** One choice inside a React Aria CheckboxGroup (the group holds the selection). */
export function CheckboxOption(props: { value: string; children: ReactNode }) {
  return (
    <Checkbox className="checkbox" value={props.value}>
      <span className="box" aria-hidden="true">
        <svg viewBox="0 0 18 18">
          <polyline points="2 9 7 14 16 4" />
        </svg>
      </span>
      {props.children}
    </Checkbox>
  );
}
