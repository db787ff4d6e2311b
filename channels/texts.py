"""Resident-facing wording of the gateway itself (the dialogue's own wording lives in actions/),
in Japanese and the five foreign languages. Japanese for Japanese and any unknown language."""
from __future__ import annotations

from typing import Dict, Optional

from channels.config import City
from faq.language import JAPANESE, normalize_language

# key -> {language: text}
TEXTS: Dict[str, Dict[str, str]] = {
    "unavailable": {
        "ja": "申し訳ありません。ただいま自動案内がご利用いただけません。"
        "しばらくしてから、もう一度お試しください。"
        "お急ぎの場合は、{city}の代表電話 {switchboard}（{hours}）へお電話ください。",
        "en": "Sorry, the automatic guide is not available right now. Please try again later. "
        "If it is urgent, please call the main number of {city}, {switchboard} (office hours: {hours}).",
        "zh": "对不起，自动咨询服务现在无法使用。请稍后再试。"
        "如有急事，请拨打{city}的总机电话 {switchboard}（办公时间：{hours}）。",
        "ko": "죄송합니다. 지금은 자동 안내를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요. "
        "급한 경우에는 {city} 대표 전화 {switchboard}(업무 시간: {hours})로 전화해 주세요.",
        "vi": "Xin lỗi, hiện không thể sử dụng hướng dẫn tự động. Vui lòng thử lại sau. "
        "Nếu gấp, hãy gọi số tổng đài của {city}: {switchboard} (giờ làm việc: {hours}).",
        "pt": "Desculpe, o atendimento automático não está disponível no momento. Tente novamente mais tarde. "
        "Se for urgente, ligue para o número principal de {city}: {switchboard} (horário: {hours}).",
    },
    "too_long": {
        "ja": "申し訳ありません。長いメッセージにはお答えできません。ご質問を短くまとめて、もう一度送ってください。",
        "en": "Sorry, I cannot answer long messages. Please make your question shorter and send it again.",
        "zh": "对不起，无法回答太长的消息。请把问题写得简短一些，再发送一次。",
        "ko": "죄송합니다. 긴 메시지에는 답변드릴 수 없습니다. 질문을 짧게 정리해서 다시 보내 주세요.",
        "vi": "Xin lỗi, tôi không thể trả lời tin nhắn dài. Hãy viết câu hỏi ngắn gọn hơn và gửi lại.",
        "pt": "Desculpe, não consigo responder a mensagens longas. Escreva uma pergunta mais curta e envie de novo.",
    },
    # LINE: the greeting of a new friend (the Japanese one offers the city's topics as buttons)
    "greeting": {
        "ja": "友だち追加ありがとうございます。{city}のAI案内窓口です。\n"
        "ごみの出し方や各種手続きなど、市役所へのご質問をメッセージで送ってください。"
        "よくあるご質問は、下のボタンからもお選びいただけます。\n\n"
        "※火事・救急は119番、事件・事故は110番へお電話ください。",
        "en": "Thank you for adding us as a friend. This is the AI information desk of {city}.\n"
        "Please send your questions to the city office, such as how to put out garbage or about "
        "procedures, as a message. You can write in English.\n\n"
        "* For a fire or an ambulance, call 119. For a crime or an accident, call 110.",
        "zh": "感谢您添加好友。这里是{city}的AI咨询窗口。\n"
        "垃圾的扔法、各种手续等，有关市政府的问题请发消息给我们。可以用中文提问。\n\n"
        "※火灾・急救请拨打119，案件・事故请拨打110。",
        "ko": "친구 추가해 주셔서 감사합니다. {city} AI 안내 창구입니다.\n"
        "쓰레기 배출 방법이나 각종 수속 등 시청에 관한 질문을 메시지로 보내 주세요. 한국어로 질문하셔도 됩니다.\n\n"
        "※화재·구급은 119번, 사건·사고는 110번으로 전화해 주세요.",
        "vi": "Cảm ơn bạn đã kết bạn. Đây là quầy hướng dẫn AI của {city}.\n"
        "Hãy gửi tin nhắn câu hỏi cho tòa thị chính, ví dụ cách bỏ rác hoặc các thủ tục. "
        "Bạn có thể hỏi bằng tiếng Việt.\n\n"
        "※ Hỏa hoạn, cấp cứu: gọi 119. Sự việc, tai nạn: gọi 110.",
        "pt": "Obrigado por nos adicionar como amigo. Este é o atendimento por IA de {city}.\n"
        "Envie por mensagem suas perguntas à prefeitura, como o descarte de lixo ou procedimentos. "
        "Pode escrever em português.\n\n"
        "※ Incêndio ou ambulância: ligue 119. Crime ou acidente: ligue 110.",
    },
    # LINE: messages that are not text
    "sticker": {
        "ja": "スタンプありがとうございます。申し訳ありませんが、スタンプにはお答えできません。ご質問を文字で送ってください。",
        "en": "Thank you for the sticker. Sorry, I can only read text, so I cannot answer stickers. "
        "Please send your question as text.",
        "zh": "谢谢您的贴图。对不起，我只能读取文字，无法回复贴图。请用文字发送您的问题。",
        "ko": "스티커 감사합니다. 죄송하지만 문자만 읽을 수 있어 스티커에는 답변드릴 수 없습니다. 질문을 문자로 보내 주세요.",
        "vi": "Cảm ơn bạn đã gửi nhãn dán. Xin lỗi, tôi chỉ đọc được chữ nên không thể trả lời nhãn dán. "
        "Hãy gửi câu hỏi bằng chữ.",
        "pt": "Obrigado pela figurinha. Desculpe, só consigo ler texto e não posso responder a figurinhas. "
        "Envie sua pergunta por escrito.",
    },
    "image": {
        "ja": "申し訳ありません。画像や動画、ファイルの内容は確認できません。ご質問を文字で送ってください。"
        "なお、個人情報が写った画像は送らないでください。",
        "en": "Sorry, I can only read text: I cannot see images, videos or files. Please send your question "
        "as text. Please do not send images that show personal information.",
        "zh": "对不起，我只能读取文字，无法确认图片、视频或文件的内容。请用文字发送您的问题。另外，请不要发送含有个人信息的图片。",
        "ko": "죄송합니다. 문자만 읽을 수 있어 이미지, 동영상, 파일의 내용은 확인할 수 없습니다. 질문을 문자로 보내 주세요. "
        "또한 개인정보가 찍힌 이미지는 보내지 마세요.",
        "vi": "Xin lỗi, tôi chỉ đọc được chữ, không xem được hình ảnh, video hoặc tệp. Hãy gửi câu hỏi bằng chữ. "
        "Vui lòng không gửi hình ảnh có thông tin cá nhân.",
        "pt": "Desculpe, só consigo ler texto: não vejo imagens, vídeos ou arquivos. Envie sua pergunta por escrito. "
        "Por favor, não envie imagens com dados pessoais.",
    },
    "location": {
        "ja": "位置情報ありがとうございます。申し訳ありませんが、位置情報にはお答えできません。"
        "お知りになりたい施設名や地区名を文字で送ってください。",
        "en": "Thank you for the location. Sorry, I can only read text, so I cannot answer a location. "
        "Please write the name of the facility or area you want to know about.",
        "zh": "谢谢您发送位置信息。对不起，我只能读取文字，无法回复位置信息。请用文字发送您想了解的设施名称或地区名称。",
        "ko": "위치 정보 감사합니다. 죄송하지만 문자만 읽을 수 있어 위치 정보에는 답변드릴 수 없습니다. "
        "알고 싶은 시설 이름이나 지역 이름을 문자로 보내 주세요.",
        "vi": "Cảm ơn bạn đã gửi vị trí. Xin lỗi, tôi chỉ đọc được chữ nên không thể trả lời vị trí. "
        "Hãy viết tên cơ sở hoặc khu vực bạn muốn biết.",
        "pt": "Obrigado pela localização. Desculpe, só consigo ler texto e não posso responder a uma localização. "
        "Escreva o nome do local ou do bairro que você quer saber.",
    },
    "audio": {
        "ja": "申し訳ありません。音声メッセージは聞き取れません。ご質問を文字で送っていただくか、お電話でお問い合わせください。",
        "en": "Sorry, I can only read text: I cannot listen to voice messages. Please send your question as text, "
        "or call us.",
        "zh": "对不起，我只能读取文字，无法收听语音消息。请用文字发送您的问题，或打电话咨询。",
        "ko": "죄송합니다. 문자만 읽을 수 있어 음성 메시지는 들을 수 없습니다. 질문을 문자로 보내 주시거나 전화로 문의해 주세요.",
        "vi": "Xin lỗi, tôi chỉ đọc được chữ, không nghe được tin nhắn thoại. Hãy gửi câu hỏi bằng chữ hoặc gọi điện cho chúng tôi.",
        "pt": "Desculpe, só consigo ler texto: não consigo ouvir mensagens de voz. Envie sua pergunta por escrito "
        "ou ligue para nós.",
    },
    "staff_label": {
        "ja": "職員より", "en": "Staff", "zh": "工作人员", "ko": "직원", "vi": "Nhân viên", "pt": "Funcionário",
    },
    "open_page": {
        "ja": "ページを開く", "en": "Open the page", "zh": "打开网页", "ko": "페이지 열기", "vi": "Mở trang",
        "pt": "Abrir a página",
    },
}


def text(key: str, language: Optional[str] = None, **values: str) -> str:
    """A fixed text in `language` (any form: "en-US", "pt_BR"); Japanese when unknown."""
    versions = TEXTS[key]
    template = versions.get(normalize_language(language) or JAPANESE) or versions[JAPANESE]
    return template.format(**values) if values else template


def unavailable(city: City, language: Optional[str] = None) -> str:
    return text("unavailable", language, city=city.name, switchboard=city.switchboard, hours=city.hours_text)


EMPTY = "ご質問を入力してください。"
